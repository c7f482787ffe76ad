package html

import (
	"fmt"
	"math"

	"github.com/benchtui/benchtui/report"
)

// The request timeline draws one row a request up to timelineRows requests; beyond that each
// row is a band of consecutive requests (by start) drawn at timelineCols columns, so its
// size and drawing time stay the same for 100,000 requests as for 300.
const (
	timelineRows = 300
	timelineCols = 600
)

// phase names the three parts of a request's life, in order.
var phases = [3]struct{ name, class string }{
	{"queue", "ph-q"}, {"prefill", "ph-p"}, {"decode", "ph-d"},
}

// bounds are a request's phase boundaries: queue from start to admit, prefill from admit to
// the first token, decode from the first token to the end. A request whose admit time was
// not recorded has no queue phase, and one without tokens no decode phase.
func bounds(q *request) [4]float64 {
	admit, first := q.start, q.end
	if q.hasAdmit {
		admit = q.admit
	}
	if q.hasFirst {
		first = q.first
	}
	return [4]float64{q.start, admit, max(first, admit), q.end}
}

// timelineChart draws the requests' queue, prefill and decode phases over time.
func timelineChart(id, title string, reqs []request) *Chart {
	n := len(reqs)
	c := newChart(id, title, "", true, 0)
	span := 0.0
	for i := range reqs {
		span = math.Max(span, reqs[i].end)
	}
	if span <= 0 {
		span = 1
	}
	plotH := 360.0
	if n <= 60 {
		plotH = math.Max(120, 6*float64(n))
	}
	c.height = int(plotH) + padTop + padBot
	_, xhi, xticks := niceRange(0, span/1000, 8)
	xhi = span / 1000
	var keep []float64
	for _, t := range xticks {
		if t <= xhi+1e-9 {
			keep = append(keep, t)
		}
	}
	rows := min(n, timelineRows)
	per := (n + rows - 1) / max(rows, 1)
	rows = (n + per - 1) / max(per, 1)
	f := newFrame(c.width, c.height, 0, xhi, 0, float64(max(n, 1)))
	// Requests go top to bottom in order of start.
	f.ys = linScale{0, float64(max(n, 1)), f.y0, f.y1}
	var w svgw
	var items []legendItem
	for i, p := range phases {
		items = append(items, legendItem{name: p.name, class: p.class, series: i})
	}
	w.legend(items)
	_, _, yt := niceRange(0, float64(n), 4)
	var yticks []float64
	for _, t := range yt {
		if t <= float64(n) {
			yticks = append(yticks, t)
		}
	}
	w.grid(f, yticks, keep, "time since the first request started (s)", "requests by start")
	rowH := (f.y1 - f.y0) / float64(rows)
	x := func(ms float64) float64 { return f.xs.at(ms / 1000) }

	var paths [3][]byte
	rect := func(p int, x0, x1, y, h float64) {
		if x1-x0 < 0.3 {
			x1 = x0 + 0.3 // a phase too short to see still shows that it happened
		}
		paths[p] = fmt.Appendf(paths[p], "M%s %sh%sv%sh-%sz", px(x0), px(y), px(x1-x0), px(h), px(x1-x0))
		c.marks++
	}
	gap := 0.0
	if rowH >= 3 {
		gap = math.Min(1, rowH*0.2)
	}
	var tips svgw
	if per == 1 {
		c.Caption = fmt.Sprintf("One row a request (%d), sorted by start: waiting for a batch slot (queue), prompt until the first token (prefill), then the output tokens (decode). Hover a row for its times.", n)
		for i := range reqs {
			q := &reqs[i]
			b := bounds(q)
			y := f.y0 + float64(i)*rowH
			for p := range 3 {
				if b[p+1] > b[p] {
					rect(p, x(b[p]), x(b[p+1]), y+gap/2, rowH-gap)
				}
			}
			tips.printf(`<rect class="row" x="%s" y="%s" width="%s" height="%s" data-tip="%s"/>`,
				px(f.x0), px(y), px(f.x1-f.x0), px(rowH), esc(requestTip(q)))
		}
	} else {
		c.Caption = fmt.Sprintf("%d requests sorted by start, %d to a row: each row shows the phase most of its requests are in at each moment (queue: waiting for a batch slot; prefill: prompt until the first token; decode: the output tokens). Hover a row for its requests' percentiles.", n, per)
		colW := (f.x1 - f.x0) / timelineCols
		col := func(ms float64) int { return min(max(int(ms/span*timelineCols), 0), timelineCols-1) }
		diff := make([][3][timelineCols + 1]int32, rows)
		for i := range reqs {
			b := bounds(&reqs[i])
			d := &diff[i/per]
			for p := range 3 {
				if b[p+1] > b[p] {
					d[p][col(b[p])]++
					d[p][col(b[p+1])+1]--
				}
			}
		}
		for r := range rows {
			y := f.y0 + float64(r)*rowH
			var run [3]int32
			cur, from := -1, 0
			flush := func(to int) {
				if cur >= 0 {
					rect(cur, f.x0+float64(from)*colW, f.x0+float64(to)*colW, y+gap/2, rowH-gap)
				}
			}
			for k := 0; k < timelineCols; k++ {
				best := -1
				for p := range 3 {
					run[p] += diff[r][p][k]
					if run[p] > 0 && (best < 0 || run[p] >= run[best]) {
						best = p
					}
				}
				if best != cur {
					flush(k)
					cur, from = best, k
				}
			}
			flush(timelineCols)
			lo, hi := r*per, min((r+1)*per, n)
			tips.printf(`<rect class="row" x="%s" y="%s" width="%s" height="%s" data-tip="%s"/>`,
				px(f.x0), px(y), px(f.x1-f.x0), px(rowH), esc(bandTip(reqs[lo:hi], lo)))
		}
	}
	for p := range 3 {
		w.printf(`<g class="%s" data-series="%d"><path class="ph" d="%s"/></g>`, phases[p].class, p, paths[p])
	}
	w.printf(`<g class="rows">%s</g>`, tips.String())
	c.body = w.String()
	return c
}

func requestTip(q *request) string {
	s := fmt.Sprintf("request %d (task %d): ISL %d, %d output tokens\nstart %s s", q.index, q.taskID, q.isl, q.osl, fmtVal(q.start/1000))
	if q.hasAdmit {
		s += fmt.Sprintf(" · queue %s ms", fmtVal(q.queue))
	}
	if q.hasFirst {
		s += fmt.Sprintf(" · TTFT %s ms", fmtVal(q.ttft))
	}
	if q.hasTP {
		s += fmt.Sprintf(" · TPOT %s ms", fmtVal(q.tpot))
	}
	return s + fmt.Sprintf(" · E2E %s ms", fmtVal(q.e2e))
}

// bandTip sums up a band of requests with the report's percentile function.
func bandTip(reqs []request, first int) string {
	var queue, ttft, e2e []float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range reqs {
		q := &reqs[i]
		lo, hi = math.Min(lo, q.start), math.Max(hi, q.start)
		if q.hasAdmit {
			queue = append(queue, q.queue)
		}
		if q.hasFirst {
			ttft = append(ttft, q.ttft)
		}
		e2e = append(e2e, q.e2e)
	}
	pct := func(name string, v []float64) string {
		if len(v) == 0 {
			return name + " n/a"
		}
		d := report.Summarize(v)
		return fmt.Sprintf("%s p50 %s, p99 %s ms", name, fmtVal(d.P50), fmtVal(d.P99))
	}
	return fmt.Sprintf("requests %d–%d by start (%d), started %s–%s s\n%s\n%s\n%s", first+1, first+len(reqs), len(reqs),
		fmtVal(lo/1000), fmtVal(hi/1000), pct("queue", queue), pct("TTFT", ttft), pct("E2E", e2e))
}
