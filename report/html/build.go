package html

import (
	"errors"
	"fmt"
)

// Options are a page's settings.
type Options struct {
	// Title replaces the page's own title when set.
	Title string
	// Version is the benchtui version that writes the page.
	Version string
}

// Build makes the page of one run, one sweep, or a comparison of several runs.
func Build(srcs []*Source, opt Options) (*Page, error) {
	if len(srcs) == 0 {
		return nil, errors.New("no input to report on")
	}
	p := &Page{Version: opt.Version}
	if p.Version == "" {
		p.Version = "dev"
	}
	for _, s := range srcs {
		p.Sources = append(p.Sources, s.Name)
	}
	switch {
	case len(srcs) == 1 && srcs[0].Kind == KindSweep:
		sweepPage(p, srcs[0])
	case len(srcs) == 1:
		v := newRunView(srcs[0], "")
		p.Title = "benchtui run: " + v.title()
		if srcs[0].Kind == KindTRTLLM {
			p.Title = "trtllm-bench run: " + v.title()
		}
		p.Subtitle = srcs[0].Name
		p.Sections = v.sections()
	default:
		for _, s := range srcs {
			if s.Kind == KindSweep {
				return nil, fmt.Errorf("%s is a sweep: a comparison takes runs (exports or reports); report on a sweep alone", s.Name)
			}
		}
		comparePage(p, srcs)
	}
	if opt.Title != "" {
		p.Title = opt.Title
	}
	return p, nil
}
