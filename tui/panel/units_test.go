package panel

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchtui/benchtui/themes"
	"github.com/charmbracelet/x/ansi"
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

func TestLatencyBins(t *testing.T) {
	p := NewLatency(styles("mono"))
	var s []float64
	for i := 1; i <= 100; i++ {
		s = append(s, float64(i))
	}
	st := LatencyStats{N: 100, Min: 1, Mean: 50.5, P50: 51, P90: 91, P99: 100, Max: 100}
	p.SetDistribution(MetricITL, append(slices.Clone(s), math.NaN(), -5, math.Inf(1)), st)
	if got := p.Stats(MetricITL); got != st {
		t.Errorf("stats = %+v, want the ones given: the panel computes no figure", got)
	}
	d := &p.dist[MetricITL]
	// Rice's rule: 2·cbrt(100) rounds up to 10 bars.
	if len(d.counts) != 10 {
		t.Errorf("%d bins for 100 samples, want 10", len(d.counts))
	}
	sum := 0.0
	for _, c := range d.counts {
		sum += c
		if math.Abs(c-10) > 1.01 {
			t.Errorf("uneven bins for a uniform sample: %v", d.counts)
			break
		}
	}
	if sum != 100 {
		t.Errorf("bins hold %v samples, want 100 (NaN, negative and infinite ones left out)", sum)
	}
	for _, iw := range []int{5, 10, 33, 80} {
		nb, bw, gap, plotW := d.layout(iw)
		merged := 0.0
		for _, c := range d.merged(nb) {
			merged += c
		}
		if plotW > iw || nb*bw != plotW || merged != 100 || (bw >= 3) != (gap == 1) {
			t.Errorf("layout(%d) = %d bars of %d (gap %d) in %d columns holding %v", iw, nb, bw, gap, plotW, merged)
		}
	}
	if p.Stats(MetricTTFT).N != 0 {
		t.Error("TTFT has samples")
	}
	// A far outlier is clipped into the last bar instead of squashing the histogram.
	p.SetDistribution(MetricE2E, append(slices.Clone(s), 100000), LatencyStats{N: 101, Min: 1, P50: 51, P90: 91, P99: 100, Max: 100000})
	if d := &p.dist[MetricE2E]; d.over != 1 || d.hi >= 1000 {
		t.Errorf("outlier not clipped: hi %v over %d", d.hi, d.over)
	}
	// A constant distribution still has a range.
	p.SetDistribution(MetricTPOT, []float64{5, 5, 5}, LatencyStats{N: 3, Min: 5, Mean: 5, P50: 5, P90: 5, P99: 5, Max: 5})
	if d := &p.dist[MetricTPOT]; !(d.hi > d.lo) {
		t.Errorf("constant distribution has empty range [%v, %v]", d.lo, d.hi)
	}
	if MetricQueue.Next() != MetricTTFT || MetricTTFT.Prev() != MetricQueue {
		t.Error("metric cycling")
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
		out := ansi.Strip(p.Render(80, 8))
		if !strings.Contains(out, "▸  r"+itoa(c+1)+" ") {
			t.Errorf("cursor row r%d not visible:\n%s", c+1, out)
		}
	}
}

func TestCompareDeltas(t *testing.T) {
	p := NewCompare(styles("nvidia"))
	fa, fb := NoFigures(), NoFigures()
	fa.OutputTokS, fa.TTFTp50, fa.ReqS = 1000, 100, 0
	fb.OutputTokS, fb.TTFTp50, fb.ReqS = 1200, 120, 3
	a := RunRow{ID: "1", ISL: 128, OSL: 64, Requests: 100, Figures: fa, State: StateFinished}
	b := RunRow{ID: "2", ISL: 128, OSL: 64, Requests: 100, Figures: fb, State: StateFinished}
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
	if s, k := p.delta(find("output tok/s")); s != "↑20.0% better" || k.Prefix() != st.Good.Prefix() {
		t.Errorf("throughput delta %q, want ↑20.0%% better in the good colour", s)
	}
	if s, k := p.delta(find("TTFT p50 ms")); s != "↑20.0% worse" || k.Prefix() != st.Bad.Prefix() {
		t.Errorf("latency delta %q, want ↑20.0%% worse in the bad colour", s)
	}
	if s, _ := p.delta(find("req/s")); s != "n/a" {
		t.Errorf("delta against zero = %q, want n/a", s)
	}
	out := ansi.Strip(p.Render(80, 16))
	for _, want := range []string{"A 1", "B 2", "↑20.0% better", "B vs A"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare view lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "differs") {
		t.Errorf("like-for-like runs flagged as different:\n%s", out)
	}
	// A different workload, or a stopped run, is said before the deltas.
	b.ISL, b.State = 256, StateCanceled
	p.Set(a, b)
	out = ansi.Strip(p.Render(80, 16))
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[1], "workload differs: ISL 128 vs 256; 2 was stopped") {
		t.Errorf("mismatch not on the first line:\n%s", out)
	}
}

func TestHeaderPendingMarked(t *testing.T) {
	h := NewHeader(styles("mono"))
	h.Settings = Settings{Batch: 64, ISL: 1024, OSL: 128, Requests: 500, Concurrency: 8}
	h.SetPending(Settings{Batch: 128, ISL: 1024, OSL: 128, Requests: 500, Concurrency: 8})
	out := ansi.Strip(h.Render(100, 2))
	if !strings.Contains(out, "B 64→128*") || strings.Contains(out, "ISL 1024→") {
		t.Errorf("pending batch not marked (or others marked):\n%s", out)
	}
	h.SetPending(h.Settings)
	if h.HasPending {
		t.Error("pending equal to the settings must clear")
	}
	if out := ansi.Strip(h.Render(100, 2)); strings.Contains(out, "→") {
		t.Errorf("no pending settings but marked:\n%s", out)
	}
}

func TestHintsKeepLastKey(t *testing.T) {
	h := NewHints(styles("mono"))
	h.Keys = []HelpKey{{Key: "s", Desc: "start"}, {Key: "x", Desc: "cancel"}, {Key: "tab", Desc: "focus"}, {Key: "?", Desc: "help"}}
	out := ansi.Strip(h.Render(24, 1))
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

// styles builds a theme's styles for a dark background (light for solarized-light).
func styles(name string) *themes.Styles {
	p, ok := themes.ByName(name)
	if !ok {
		panic("unknown theme " + name)
	}
	return themes.Build(p, name != "solarized-light")
}
