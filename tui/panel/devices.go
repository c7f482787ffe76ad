package panel

import (
	"math"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/themes"
)

// DeviceView is what the devices panel shows of one GPU, or of the host when there is
// no GPU. Histories are oldest first; the panel shows as much of their end as fits.
type DeviceView struct {
	// Name is the device's name, e.g. "NVIDIA H100 80GB HBM3" or "host".
	Name string
	// Host marks the host itself: Util is CPU utilisation and MemUsed/MemTotal are RAM.
	Host bool
	// Util is the utilisation history in percent; empty shows "n/a".
	Util []float64
	// MemUsed is the memory-used history in GiB; empty shows "n/a".
	MemUsed []float64
	// MemTotal is the memory size in GiB; zero when unknown.
	MemTotal float64
	// PowerW is the current draw and PowerLimitW the limit (zero: unknown), valid when
	// HasPower is set.
	PowerW, PowerLimitW float64
	HasPower            bool
	// TempC is the temperature, valid when HasTemp is set.
	TempC   float64
	HasTemp bool
}

// Devices shows per-device telemetry: utilisation and memory sparklines, power and
// temperature.
type Devices struct {
	// Devices are the devices to show, in order.
	Devices []DeviceView
	focus

	st *themes.Styles
}

// NewDevices returns an empty devices panel drawn with st.
func NewDevices(st *themes.Styles) *Devices {
	return &Devices{st: st}
}

// SetStyles changes the theme.
func (p *Devices) SetStyles(st *themes.Styles) { p.st = st }

// SetDevices replaces the devices shown. The slice is kept, not copied: the caller
// hands over a fresh snapshot each time.
func (p *Devices) SetDevices(d []DeviceView) { p.Devices = d }

func (d *DeviceView) labels() (util, mem string) {
	if d.Host {
		return "cpu", "ram"
	}
	return "util", "mem"
}

// shortName drops the vendor prefix for tight layouts.
func shortName(name string) string {
	for _, p := range []string{"NVIDIA ", "AMD ", "Intel "} {
		name = strings.TrimPrefix(name, p)
	}
	return name
}

func gib(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// memText is "71.2/79.6 GiB", "71.2 GiB" or "n/a"; short drops the unit to "G".
func (d *DeviceView) memText(short bool) string {
	used := lastOf(d.MemUsed)
	unit := " GiB"
	if short {
		unit = "G"
	}
	switch {
	case math.IsNaN(used):
		return "n/a"
	case d.MemTotal > 0 && short:
		return strconv.FormatFloat(used, 'f', 0, 64) + "/" + strconv.FormatFloat(d.MemTotal, 'f', 0, 64) + unit
	case d.MemTotal > 0:
		return gib(used) + "/" + gib(d.MemTotal) + unit
	}
	return gib(used) + unit
}

func (d *DeviceView) utilText() string {
	u := lastOf(d.Util)
	if math.IsNaN(u) {
		return "n/a"
	}
	return strconv.FormatFloat(u, 'f', 0, 64) + "%"
}

func (d *DeviceView) powerText(short bool) string {
	if !d.HasPower {
		if short {
			return "n/a W"
		}
		return "power n/a"
	}
	s := strconv.FormatFloat(d.PowerW, 'f', 0, 64)
	if d.PowerLimitW > 0 && !short {
		s += "/" + strconv.FormatFloat(d.PowerLimitW, 'f', 0, 64)
	}
	return s + " W"
}

func (d *DeviceView) tempText() string {
	if !d.HasTemp {
		return "n/a °C"
	}
	return strconv.FormatFloat(d.TempC, 'f', 0, 64) + "°C"
}

func (p *Devices) tempInk(d *DeviceView) themes.Ink {
	switch {
	case !d.HasTemp:
		return p.st.Muted
	case d.TempC >= 85:
		return p.st.Bad
	case d.TempC >= 75:
		return p.st.Warn
	}
	return p.st.Value
}

func (p *Devices) utilInk(d *DeviceView) themes.Ink {
	if len(d.Util) == 0 {
		return p.st.Muted
	}
	return p.st.Value
}

// metric writes "label ▂▅▇ value" in exactly w cells, the sparkline taking the slack.
func (p *Devices) metric(l *lineBuf, label string, vals []float64, hi float64, value string, spark, valInk themes.Ink, w int) {
	st := p.st
	start := l.w
	l.ink(st.Label, label)
	l.text(" ")
	if sw := w - textWidth(label) - 2 - textWidth(value); sw >= 3 && len(vals) > 0 {
		l.ink(spark, Sparkline(vals, sw, 0, hi))
		l.text(" ")
	} else {
		l.padTo(start + w - textWidth(value))
	}
	l.ink(valInk, value)
	l.padTo(start + w)
}

// headLine is "0 NVIDIA H100 80GB HBM3 ..... 412/700 W  63°C".
func (p *Devices) headLine(i int, d *DeviceView, iw int) string {
	st := p.st
	var l lineBuf
	right := []span{{d.powerText(false), st.Value}, {"  ", st.Text}, {d.tempText(), p.tempInk(d)}}
	if !d.HasPower {
		right[0].k = st.Muted
	}
	rw := spansWidth(right)
	idx := itoa(i) + " "
	if d.Host {
		idx = ""
	}
	l.ink(st.Muted, idx)
	nameW := iw - l.w - rw - 2
	if nameW < 6 {
		right = right[2:]
		rw = spansWidth(right)
		nameW = iw - l.w - rw - 2
	}
	name := d.Name
	if textWidth(name) > nameW {
		name = shortName(name)
	}
	l.ink(st.Title, truncate(name, max(nameW, 0)))
	l.padTo(iw - rw)
	for _, s := range right {
		l.ink(s.k, s.s)
	}
	return l.fit(iw)
}

// utilLine and memLine are the metric lines of a block.
func (p *Devices) utilLine(d *DeviceView, w int) lineBuf {
	var l lineBuf
	ul, _ := d.labels()
	p.metric(&l, pad(ul, 4), d.Util, 100, d.utilText(), p.st.SeriesStyle(0), p.utilInk(d), w)
	return l
}

func (p *Devices) memLine(d *DeviceView, w int, short bool) lineBuf {
	var l lineBuf
	_, ml := d.labels()
	ink := p.st.Value
	if len(d.MemUsed) == 0 {
		ink = p.st.Muted
	}
	p.metric(&l, pad(ml, 4), d.MemUsed, d.MemTotal, d.memText(short), p.st.SeriesStyle(1), ink, w)
	return l
}

// pad right-pads plain text to n cells.
func pad(s string, n int) string {
	return s + spaces(n-textWidth(s))
}

// compactLine is one device on one line: "0 H100 80GB ▅▆▇ 97% 71/80G 412 W 63°C".
func (p *Devices) compactLine(i int, d *DeviceView, iw int) string {
	st := p.st
	idx := itoa(i) + " "
	if d.Host {
		idx = ""
	}
	name := shortName(d.Name)
	nameW := min(textWidth(name), max(8, iw/4))
	ul, _ := d.labels()
	util := d.utilText()
	parts := []part{
		{[]span{{idx, st.Muted}, {truncate(name, nameW), st.Title}}, 0},
		{[]span{{ul + " ", st.Label}, {util, p.utilInk(d)}}, 0},
		{[]span{{d.memText(true), st.Value}}, 1},
		{[]span{{d.powerText(true), st.Value}}, 3},
		{[]span{{d.tempText(), p.tempInk(d)}}, 2},
	}
	fixed := 0
	for _, pt := range parts {
		fixed += pt.width() + 1
	}
	// Give the slack to a utilisation sparkline.
	if sw := iw - fixed - 1; sw >= 4 && len(d.Util) > 0 {
		sw = min(sw, 40, len(d.Util))
		parts[1].spans = append([]span{{Sparkline(d.Util, sw, 0, 100) + " ", st.SeriesStyle(0)}}, parts[1].spans...)
	}
	var l lineBuf
	fitParts(&l, parts, span{" ", st.Text}, iw)
	return l.fit(iw)
}

// moreLine summarises devices that did not fit: "+5 more · avg util 93%".
func (p *Devices) moreLine(rest []DeviceView, iw int) string {
	st := p.st
	sum, n := 0.0, 0
	for i := range rest {
		if u := lastOf(rest[i].Util); !math.IsNaN(u) {
			sum += u
			n++
		}
	}
	var l lineBuf
	parts := []part{{[]span{{"+" + itoa(len(rest)) + " more", st.Muted}}, 0}}
	if n > 0 {
		parts = append(parts, part{[]span{{"avg util ", st.Label}, {strconv.FormatFloat(sum/float64(n), 'f', 0, 64) + "%", st.Value}}, 1})
	}
	fitParts(&l, parts, span{" · ", st.Subtle}, iw)
	return l.fit(iw)
}

func (p *Devices) Summary(width int) string {
	st := p.st
	var l lineBuf
	if len(p.Devices) == 0 {
		l.ink(st.Muted, "no devices")
		return string(l.b)
	}
	if len(p.Devices) == 1 {
		return p.compactLine(0, &p.Devices[0], width)
	}
	sum, n := 0.0, 0
	for i := range p.Devices {
		if u := lastOf(p.Devices[i].Util); !math.IsNaN(u) {
			sum += u
			n++
		}
	}
	util := "n/a"
	if n > 0 {
		util = strconv.FormatFloat(sum/float64(n), 'f', 0, 64) + "%"
	}
	fitParts(&l, []part{
		{[]span{{itoa(len(p.Devices)) + " GPUs", st.Title}}, 0},
		{[]span{{"util ", st.Label}, {util, st.Value}}, 0},
	}, span{" ", st.Text}, width)
	return string(l.b)
}

// twoLineBlocks shows each device as its name, power and temperature, then utilisation
// and memory side by side.
func (p *Devices) twoLineBlocks(body *[]string, iw int, short bool) {
	half := (iw - 2) / 2
	for i := range p.Devices {
		d := &p.Devices[i]
		*body = append(*body, p.headLine(i, d, iw))
		u, m := p.utilLine(d, half), p.memLine(d, iw-2-half, short)
		u.text("  ")
		u.raw(string(m.b), m.w)
		*body = append(*body, u.fit(iw))
	}
}

// Render draws the panel in exactly width x height cells. It picks the richest
// arrangement that fits: two or three lines per device, one line per device, or as many
// devices as fit followed by a summary of the rest.
func (p *Devices) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	title := "Devices"
	if len(p.Devices) > 0 && p.Devices[0].Host {
		title = "Host"
	}
	b := box{st: st, focused: p.focused, title: []span{{title, st.Title}}}
	n := len(p.Devices)
	if n == 0 {
		return b.message(width, height, "no device telemetry")
	}
	if n > 1 {
		b.note = []span{{itoa(n) + " devices", st.Muted}}
	}
	body := make([]string, 0, ih)
	switch {
	case iw >= 60 && 2*n <= ih:
		p.twoLineBlocks(&body, iw, false)
	case iw >= 24 && 3*n <= ih:
		// Three lines: name, power, temperature; utilisation; memory.
		for i := range p.Devices {
			d := &p.Devices[i]
			u, m := p.utilLine(d, iw), p.memLine(d, iw, false)
			body = append(body, p.headLine(i, d, iw), u.fit(iw), m.fit(iw))
		}
	case iw >= 30 && 2*n <= ih:
		p.twoLineBlocks(&body, iw, true)
	case n <= ih:
		for i := range p.Devices {
			body = append(body, p.compactLine(i, &p.Devices[i], iw))
		}
	default:
		shown := ih - 1
		for i := 0; i < shown; i++ {
			body = append(body, p.compactLine(i, &p.Devices[i], iw))
		}
		body = append(body, p.moreLine(p.Devices[shown:], iw))
	}
	return b.render(width, height, body)
}
