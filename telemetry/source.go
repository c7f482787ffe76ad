package telemetry

import (
	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Device kinds.
const (
	KindGPU = "gpu"
	KindCPU = "cpu"
)

// Device is one thing a Source measures: a GPU, or the host as a whole.
type Device struct {
	// Index is the device's position in Source.Devices (NVML's index for GPUs).
	Index int    `json:"index"`
	Name  string `json:"name"`
	UUID  string `json:"uuid,omitempty"`
	// Kind is KindGPU or KindCPU.
	Kind string `json:"kind"`
}

// Source reads one sample per device when asked. It does not keep history or run a goroutine;
// a Monitor does that. Implementations: the NVML source (OpenNVML), the host source
// (OpenHost) and fakes in tests.
type Source interface {
	// Name is "nvml" or "host", for reports.
	Name() string
	// Devices lists what Read measures, in the order Read fills dst. The list does not change.
	Devices() []Device
	// Read overwrites dst[i] (all fields but Time) with a reading of Devices()[i]; len(dst) must
	// equal len(Devices()). A field the device cannot report is left out of dst[i].Valid and is
	// not an error. The error reports a real failure and only the fields it affected are
	// missing. Read must not allocate in steady state and is not called concurrently.
	Read(dst []Sample) error
	// Close releases the source (NVML shutdown, open /proc files).
	Close() error
}

// Open returns the best source this machine has: NVML when the driver loads and reports at
// least one GPU, otherwise the host's CPU and memory. The returned source is always usable;
// reason says why NVML was not used ("" when it was) so that a caller can tell the user what
// is missing. lib is the NVML to use; nil means the system's libnvidia-ml.
func Open(lib nvml.Interface) (src Source, reason string) {
	s, err := OpenNVML(lib)
	if err == nil {
		return s, ""
	}
	return OpenHost(), err.Error()
}
