package session

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// fill sets every field reachable from v to a value that is not its zero value, counting up
// from *n so that no two fields share one. A field that cannot be set or serialized (one
// that is unexported, json:"-", a function, a channel or an interface) is reported: it
// would not reach the other side of the protocol.
func fill(t *testing.T, v reflect.Value, path string, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Unix(int64(*n), 0).UTC()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			p := path + "." + f.Name
			if !f.IsExported() {
				t.Errorf("%s is unexported: it cannot cross the process boundary", p)
				continue
			}
			if f.Tag.Get("json") == "-" {
				t.Errorf(`%s is json:"-": it does not cross the process boundary`, p)
				continue
			}
			fill(t, v.Field(i), p, n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path, n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			fill(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, path+"[key]", n)
		fill(t, e, path+"[value]", n)
		v.SetMapIndex(k, e)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	default:
		t.Errorf("%s is a %s: it cannot be serialized", path, v.Kind())
	}
}

// roundTrip sends v as a frame through the protocol's writer and reader and decodes it into
// a new value of the same type.
func roundTrip(t *testing.T, typ byte, v any) any {
	t.Helper()
	var pipe bytes.Buffer
	if err := newFrameWriter(&pipe).send(typ, v); err != nil {
		t.Fatal(err)
	}
	f, err := readFrame(bufio.NewReader(&pipe))
	if err != nil {
		t.Fatal(err)
	}
	got := reflect.New(reflect.TypeOf(v))
	if err := f.decode(got.Interface()); err != nil {
		t.Fatal(err)
	}
	return got.Elem().Interface()
}

// Every message of the protocol carries every field of the types in it: a field added to
// engine.Config (or to Spec, Options, a request, a record, a snapshot) that the protocol
// would lose fails here.
func TestProtocolCarriesEveryField(t *testing.T) {
	for _, m := range []struct {
		typ byte
		v   any
	}{
		{msgOpen, &openRequest{}},
		{msgOpened, &opened{}},
		{msgRun, &runRequest{}},
		{msgDone, &runResult{}},
		{msgLifecycle, &engine.Lifecycle{}},
		{msgSnapshot, &engine.Snapshot{}},
		{msgError, &wireError{}},
		{msgHello, &hello{}},
	} {
		n := 0
		v := reflect.ValueOf(m.v).Elem()
		fill(t, v, v.Type().Name(), &n)
		sent := v.Interface()
		if got := roundTrip(t, m.typ, sent); !reflect.DeepEqual(got, sent) {
			a, _ := json.Marshal(sent)
			b, _ := json.Marshal(got)
			t.Errorf("%c message changed on the way:\nsent %s\ngot  %s", m.typ, a, b)
		}
	}
}

// A real backend process runs with the engine configuration it was sent, every field of it
// (set by reflection, then made valid where the run needs it), and sends the same back.
func TestChildGetsEngineConfig(t *testing.T) {
	s := openTiny(t, false)
	var cfg engine.Config
	n := 0
	fill(t, reflect.ValueOf(&cfg).Elem(), "Config", &n)
	cfg.MaxBatchSize, cfg.MaxNumTokens, cfg.MaxSeqLen, cfg.KVCapacity = 2, 64, 64, 128
	cfg.Concurrency, cfg.Warmup, cfg.EOSID, cfg.SnapshotEvery = 3, 1, -1, time.Millisecond
	cfg.Policy, cfg.Chunking = engine.PolicyMaxUtilization, engine.ChunkEqualProgress
	sp := Spec{Gen: Gen{NumRequests: 6, ISL: 16, OSL: 8, Seed: 3}, Engine: cfg}
	r, err := s.Run(context.Background(), sp, nil)
	if err := runErr(r, err); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Config, cfg) {
		t.Errorf("the backend process ran with %+v, sent %+v", r.Config, cfg)
	}
	for _, rec := range r.Result.Records {
		if len(rec.OutputIDs) != rec.OutputTokens() {
			t.Fatalf("record %d has %d token ids for %d tokens: keep_tokens did not reach the backend", rec.Index, len(rec.OutputIDs), rec.OutputTokens())
		}
	}
}
