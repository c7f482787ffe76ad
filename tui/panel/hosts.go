package panel

import (
	"math"
	"strconv"
	"strings"
)

// This file draws the devices panel's RPC servers and the weights each device holds.

// bytesText writes a size: 812 KiB, 8.0 MiB, 7.43 GiB; "n/a" for none.
func bytesText(b uint64) string {
	v := float64(b)
	switch {
	case b == 0:
		return "n/a"
	case v < 1<<20:
		return strconv.FormatFloat(v/(1<<10), 'f', 0, 64) + " KiB"
	case v < 1<<30:
		return strconv.FormatFloat(v/(1<<20), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatFloat(v/(1<<30), 'f', 2, 64) + " GiB"
}

// rateBytes writes bytes per second in MB/s (10^6 bytes, as the report's RPC section):
// 0.31 MB/s, 12.4 MB/s, 1.20k MB/s; "n/a" when unknown.
func rateBytes(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	v /= 1e6
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 2, 64) + " MB/s"
	}
	return si(v) + " MB/s"
}

// weightsText is "7.43 GiB (50%)", "" when the device's weights are not known.
func weightsText(b uint64, share float64) string {
	if b == 0 || math.IsNaN(share) {
		return ""
	}
	return bytesText(b) + " (" + pct(100*share) + ")"
}

// hostHead is an RPC server's first line: "rpc 10.0.0.2:50052 RPC0 · weights 3.1 GiB (33%) ·
// free 21.2/24.0 GiB".
func (p *Devices) hostHead(h *HostView, iw int) string {
	st := p.st
	parts := []part{
		{[]span{{"rpc ", st.Muted}, {h.Host, st.Title}}, 0},
	}
	if len(h.Devices) > 0 {
		parts = append(parts, part{[]span{{strings.Join(h.Devices, ","), st.Muted}}, 3})
	}
	if w := weightsText(h.Weights, h.WeightShare); w != "" {
		parts = append(parts, part{[]span{{"weights ", st.Label}, {w, st.Value}}, 1})
	}
	if h.TotalBytes > 0 {
		parts = append(parts, part{[]span{{"free ", st.Label}, {bytesText(h.FreeBytes) + "/" + bytesText(h.TotalBytes), st.Value}}, 2})
	}
	var l lineBuf
	fitParts(&l, parts, span{"  ", st.Text}, iw)
	return l.fit(iw)
}

// hostTraffic is an RPC server's second line: sent, received and the wait share, each a
// sparkline with its latest value.
func (p *Devices) hostTraffic(h *HostView, iw int) string {
	st := p.st
	var l lineBuf
	if !h.Measured {
		l.ink(st.Muted, truncate("  traffic not measured (--rpc_measure=false connects llama.cpp directly)", iw))
		return l.fit(iw)
	}
	third := (iw - 4) / 3
	metrics := []struct {
		label string
		vals  []float64
		hi    float64
		value string
	}{
		{"sent", h.Sent, 0, rateBytes(lastOf(h.Sent))},
		{"recv", h.Recv, 0, rateBytes(lastOf(h.Recv))},
		{"wait", scaled(h.Busy, 100), 100, pct(100 * lastOf(h.Busy))},
	}
	for i, m := range metrics {
		w := third
		if i == len(metrics)-1 {
			w = iw - l.w
		}
		p.metric(&l, m.label, m.vals, m.hi, m.value, st.SeriesStyle(i), st.Value, w)
		if i < len(metrics)-1 {
			l.text("  ")
		}
	}
	return l.fit(iw)
}

// hostLine is an RPC server on one line: "10.0.0.2:50052 33% ↑1.20 MB/s ↓0.31 MB/s wait 12%".
func (p *Devices) hostLine(h *HostView, iw int) string {
	st := p.st
	parts := []part{{[]span{{h.Host, st.Title}}, 0}}
	if !math.IsNaN(h.WeightShare) && h.Weights > 0 {
		parts = append(parts, part{[]span{{pct(100 * h.WeightShare), st.Value}}, 2})
	}
	if h.Measured {
		parts = append(parts,
			part{[]span{{"↑", st.Label}, {rateBytes(lastOf(h.Sent)), st.Value}}, 1},
			part{[]span{{"↓", st.Label}, {rateBytes(lastOf(h.Recv)), st.Value}}, 1},
			part{[]span{{"wait ", st.Label}, {pct(100 * lastOf(h.Busy)), st.Value}}, 0})
	} else {
		parts = append(parts, part{[]span{{"not measured", st.Muted}}, 1})
	}
	var l lineBuf
	fitParts(&l, parts, span{" ", st.Text}, iw)
	return l.fit(iw)
}

// scaled is v times k, in a new slice.
func scaled(v []float64, k float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * k
	}
	return out
}
