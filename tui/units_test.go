package tui

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/benchtui/benchtui/themes"
)

// TestTextWidthMatchesAnsi checks the fast width path against ansi.StringWidth for
// every character it claims to know, and for text it hands over.
func TestTextWidthMatchesAnsi(t *testing.T) {
	for r := rune(0x20); r < 0x3000; r++ {
		if r < 0x7f || narrowRune(r) {
			s := string(r)
			if got, want := textWidth(s), ansi.StringWidth(s); got != want {
				t.Errorf("textWidth(%q U+%04X) = %d, ansi says %d", s, r, got, want)
			}
		}
	}
	for _, s := range []string{
		"", "abc", "\x1b[1;38;2;1;2;3mbold\x1b[m", "▁▂▃█ ╭─╮ ⠹ ✓ ≥ °C Δ", "日本語", "e\u0301", "👍 ok",
		"\x1b]8;;http://x\x07link\x1b]8;;\x07",
	} {
		if got, want := textWidth(s), ansi.StringWidth(s); got != want {
			t.Errorf("textWidth(%q) = %d, ansi says %d", s, got, want)
		}
	}
}

func TestFit(t *testing.T) {
	cases := []struct {
		in   string
		w    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 3, "abc"},
		{"日本語", 5, "日本 "}, // a wide character cut in half leaves a pad
		{"", 2, "  "},
		{"x", 0, ""},
	}
	for _, c := range cases {
		if got := fit(c.in, c.w); got != c.want {
			t.Errorf("fit(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
	if got := fit("\x1b[1mabcdef\x1b[m", 3); ansi.Strip(got) != "abc" || ansi.StringWidth(got) != 3 {
		t.Errorf("fit of styled text = %q", got)
	}
}

func TestFitParts(t *testing.T) {
	parts := []part{
		{[]span{{"aaaa", themesInk()}}, 0},
		{[]span{{"bbbb", themesInk()}}, 2},
		{[]span{{"cccc", themesInk()}}, 1},
	}
	for _, c := range []struct {
		w    int
		want string
	}{
		{20, "aaaa bbbb cccc"},
		{10, "aaaa cccc"},
		{5, "aaaa"},
		{3, "aa…"},
	} {
		var l lineBuf
		fitParts(&l, parts, span{" ", themesInk()}, c.w)
		if got := string(l.b); got != c.want || l.w != textWidth(c.want) {
			t.Errorf("width %d: %q (w=%d), want %q", c.w, got, l.w, c.want)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {0.25, "0.2"}, {7, "7"}, {950, "950"}, {999.6, "1.00k"}, {1234, "1.23k"},
		{12345, "12.3k"}, {123456, "123k"}, {1234567, "1.23M"}, {math.NaN(), "n/a"},
	} {
		if got := si(c.v); got != c.want {
			t.Errorf("si(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{0.42, "0.42"}, {12.34, "12.3"}, {243.4, "243"}, {1617, "1617"}} {
		if got := ms(c.v); got != c.want {
			t.Errorf("ms(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{400 * time.Millisecond, "0.4s"}, {42 * time.Second, "42s"}, {185 * time.Second, "3m05s"},
		{3720 * time.Second, "1h02m"}, {-1, "n/a"},
	} {
		if got := dur(c.d); got != c.want {
			t.Errorf("dur(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestSparkline(t *testing.T) {
	if got := Sparkline([]float64{0, 50, 100}, 3, 0, 100); got != "▁▄█" {
		t.Errorf("Sparkline = %q", got)
	}
	if got := Sparkline([]float64{1, 2}, 4, 0, 2); got != "  ▄█" {
		t.Errorf("short history must be right-aligned, got %q", got)
	}
	if got := Sparkline([]float64{1, 2, 3, 4, 5}, 2, 0, 5); got != "▆█" {
		t.Errorf("long history must show its end, got %q", got)
	}
	if got := Sparkline([]float64{3, math.NaN(), 3}, 3, 0, 0); got != "█ █" {
		t.Errorf("auto scale with NaN = %q", got)
	}
	if got := Sparkline(nil, 0, 0, 1); got != "" {
		t.Errorf("zero width = %q", got)
	}
	rows := SparklineRows([]float64{25, 50, 100}, 3, 2, 0, 100)
	if !slices.Equal(rows, []string{"  █", "▄██"}) {
		t.Errorf("SparklineRows = %q", rows)
	}
}

func TestHBar(t *testing.T) {
	for _, c := range []struct {
		f           float64
		w           int
		full, empty string
	}{
		{0, 4, "", "░░░░"}, {1, 4, "████", ""}, {0.5, 4, "██", "░░"}, {0.55, 4, "██▎", "░"}, {2, 2, "██", ""},
	} {
		full, empty := hbar(c.f, c.w)
		if full != c.full || empty != c.empty {
			t.Errorf("hbar(%v, %d) = %q %q, want %q %q", c.f, c.w, full, empty, c.full, c.empty)
		}
	}
}

func TestLatencyStatsAndBars(t *testing.T) {
	p := NewLatency(styles("mono"))
	var s []float64
	for i := 1; i <= 100; i++ {
		s = append(s, float64(i))
	}
	s = append(s, math.NaN(), -5, math.Inf(1))
	p.SetSamples(MetricITL, s)
	st := p.Stats(MetricITL)
	if st.N != 100 || st.Min != 1 || st.Max != 100 || st.Mean != 50.5 {
		t.Errorf("stats = %+v", st)
	}
	// trtllm-bench's rule, sorted[int(n*q)], as in the report: no interpolation.
	if st.P50 != 51 || st.P90 != 91 || st.P99 != 100 {
		t.Errorf("percentiles = %v %v %v, want 51 91 100", st.P50, st.P90, st.P99)
	}
	d := &p.dist[MetricITL]
	for _, k := range []int{1, 7, 10, 33, 200} {
		bars := d.bars(k)
		sum := 0.0
		for _, b := range bars {
			sum += b
		}
		if math.Abs(sum-100) > 1e-6 {
			t.Errorf("%d bars hold %v samples, want 100", k, sum)
		}
	}
	// A uniform distribution gives even bars.
	for _, b := range d.bars(10) {
		if math.Abs(b-10) > 1.01 {
			t.Errorf("uneven bars: %v", d.bars(10))
			break
		}
	}
	// Samples set for one metric leave the others empty.
	if p.Stats(MetricTTFT).N != 0 {
		t.Error("TTFT has samples")
	}
	// A far outlier is clipped into the last bar instead of squashing the histogram.
	p.SetSamples(MetricE2E, append(slices.Clone(s[:100]), 100000))
	if d := &p.dist[MetricE2E]; d.over != 1 || d.hi >= 1000 {
		t.Errorf("outlier not clipped: hi %v over %d", d.hi, d.over)
	}
	// A constant distribution still has a range.
	p.SetSamples(MetricTPOT, []float64{5, 5, 5})
	if d := &p.dist[MetricTPOT]; !(d.hi > d.lo) {
		t.Errorf("constant distribution has empty range [%v, %v]", d.lo, d.hi)
	}
	if MetricE2E.Next() != MetricTTFT || MetricTTFT.Prev() != MetricE2E {
		t.Error("metric cycling")
	}
}

func TestLatencyRenderShowsPercentiles(t *testing.T) {
	d := newDashboard("mono")
	out := stripANSI(d.latency.Render(80, 14))
	for _, want := range []string{"p50", "p90", "p99", "▲", "TTFT", "ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("latency panel lacks %q:\n%s", want, out)
		}
	}
}

func TestThroughputHistoryBounded(t *testing.T) {
	p := NewThroughput(styles("mono"))
	for i := 0; i < 5*throughputMaxPoints; i++ {
		p.Add(float64(i), float64(i), float64(2*i))
	}
	if p.Len() > throughputMaxPoints {
		t.Fatalf("%d points stored", p.Len())
	}
	if p.t[0] != 0 || p.t[len(p.t)-1] != float64(5*throughputMaxPoints-1) {
		t.Errorf("time range lost: %v..%v", p.t[0], p.t[len(p.t)-1])
	}
	if !slices.IsSorted(p.t) {
		t.Error("time not sorted after thinning")
	}
	o, tot := p.Current()
	if o != float64(5*throughputMaxPoints-1) || tot != 2*o {
		t.Errorf("current = %v %v", o, tot)
	}
	p.Window = 100
	tv, _, _ := p.visible()
	if tv[len(tv)-1]-tv[0] > 100 {
		t.Errorf("window shows %v seconds", tv[len(tv)-1]-tv[0])
	}
}

func TestHistoryCursorAndMarks(t *testing.T) {
	p := NewHistory(styles("mono"))
	rows := []RunRow{{ID: "1"}, {ID: "2"}, {ID: "3"}}
	p.SetRows(rows)
	if p.Cursor != 2 {
		t.Errorf("cursor %d, want to follow the newest run", p.Cursor)
	}
	p.MoveCursor(-10)
	if p.Cursor != 0 {
		t.Errorf("cursor %d after moving past the top", p.Cursor)
	}
	p.ToggleMark() // 1
	p.MoveCursor(1)
	p.ToggleMark() // 1, 2
	p.MoveCursor(1)
	p.ToggleMark() // 2, 3: the oldest mark goes
	if got := p.Marked(); !slices.Equal(got, []string{"2", "3"}) {
		t.Errorf("marks %v", got)
	}
	a, b, ok := p.Comparison()
	if !ok || a.ID != "2" || b.ID != "3" {
		t.Errorf("comparison %v %v %v", a.ID, b.ID, ok)
	}
	p.ToggleMark() // unmark 3
	if _, _, ok := p.Comparison(); ok {
		t.Error("comparison with one mark")
	}
	p.ToggleMark()
	p.SetRows(rows[:2]) // run 3 disappears with its mark; cursor clamps
	if got := p.Marked(); !slices.Equal(got, []string{"2"}) || p.Cursor != 1 {
		t.Errorf("after shrinking: marks %v cursor %d", got, p.Cursor)
	}
	p.Cursor = 0
	p.SetRows(append(rows[:2:2], RunRow{ID: "4"}))
	if p.Cursor != 0 {
		t.Errorf("cursor moved from a non-last row to %d", p.Cursor)
	}
	p.ClearMarks()
	if len(p.Marked()) != 0 {
		t.Error("marks not cleared")
	}
}

func TestHistoryScrollsToCursor(t *testing.T) {
	p := NewHistory(styles("mono"))
	var rows []RunRow
	for i := 1; i <= 30; i++ {
		rows = append(rows, RunRow{ID: "r" + itoa(i), Model: "m", State: StateFinished})
	}
	p.SetRows(rows)
	for _, c := range []int{0, 14, 29} {
		p.Cursor = c
		out := stripANSI(p.Render(80, 8))
		if !strings.Contains(out, "▸  r"+itoa(c+1)+" ") {
			t.Errorf("cursor row r%d not visible:\n%s", c+1, out)
		}
	}
}

func TestCompareDeltas(t *testing.T) {
	p := NewCompare(styles("nvidia"))
	a := RunRow{ID: "1", OutputTokS: 1000, TTFTp50: 100}
	b := RunRow{ID: "2", OutputTokS: 1200, TTFTp50: 120}
	p.Set(a, b)
	rows := p.rows()
	find := func(label string) compareRow {
		for _, r := range rows {
			if r.label == label {
				return r
			}
		}
		t.Fatalf("no row %q", label)
		return compareRow{}
	}
	st := p.st
	if s, k := p.delta(find("output tok/s")); s != "+20.0%" || k.Prefix() != st.Good.Prefix() {
		t.Errorf("throughput delta %q, want +20.0%% in the good colour", s)
	}
	if s, k := p.delta(find("TTFT p50 ms")); s != "+20.0%" || k.Prefix() != st.Bad.Prefix() {
		t.Errorf("latency delta %q, want +20.0%% in the bad colour", s)
	}
	if s, _ := p.delta(find("req/s")); s != "n/a" {
		t.Errorf("delta against zero = %q, want n/a", s)
	}
	out := stripANSI(p.Render(80, 12))
	for _, want := range []string{"A 1", "B 2", "+20.0%", "Δ"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare view lacks %q:\n%s", want, out)
		}
	}
}

func TestHeaderPendingMarked(t *testing.T) {
	h := NewHeader(styles("mono"))
	h.Settings = Settings{Batch: 64, ISL: 1024, OSL: 128, Requests: 500, Concurrency: 8}
	h.SetPending(Settings{Batch: 128, ISL: 1024, OSL: 128, Requests: 500, Concurrency: 8})
	out := stripANSI(h.Render(100, 2))
	if !strings.Contains(out, "B 64→128*") || strings.Contains(out, "ISL 1024→") {
		t.Errorf("pending batch not marked (or others marked):\n%s", out)
	}
	h.SetPending(h.Settings)
	if h.HasPending {
		t.Error("pending equal to the settings must clear")
	}
	if out := stripANSI(h.Render(100, 2)); strings.Contains(out, "→") {
		t.Errorf("no pending settings but marked:\n%s", out)
	}
}

func TestHelpFromBindings(t *testing.T) {
	quit := key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit"))
	off := key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "cancel"), key.WithDisabled())
	silent := key.NewBinding(key.WithKeys("z"))
	g := HelpGroupFrom("App", quit, off, silent)
	if g.Title != "App" || !slices.Equal(g.Keys, []HelpKey{{"q", "quit"}}) {
		t.Errorf("HelpGroupFrom = %+v", g)
	}
	if got := HelpKeysFrom(quit); len(got) != 1 {
		t.Errorf("HelpKeysFrom = %v", got)
	}
}

func TestHintsKeepLastKey(t *testing.T) {
	h := NewHints(styles("mono"))
	h.Keys = []HelpKey{{"s", "start"}, {"x", "cancel"}, {"tab", "focus"}, {"?", "help"}}
	out := stripANSI(h.Render(24, 1))
	if !strings.Contains(out, "? help") || !strings.Contains(out, "s start") {
		t.Errorf("hints at 24 columns: %q", out)
	}
}

func TestRunStateNames(t *testing.T) {
	for s := StateIdle; s <= StateCanceled; s++ {
		if s.String() == "unknown" {
			t.Errorf("state %d has no name", s)
		}
	}
	if !StateWarmup.Active() || StateFinished.Active() {
		t.Error("Active")
	}
}

// themesInk is an ink that paints nothing.
func themesInk() themes.Ink { return themes.Ink{} }
