package mem

import (
	"strings"
	"testing"
	"unsafe"
)

func TestMemoryHoldsRealBytesSparsely(t *testing.T) {
	m := NewMemory()
	if m.ReadWord(0x1000) != 0 {
		t.Fatal("untouched memory is not zero")
	}
	m.WriteWord(0x1008, 42)
	m.WriteWord(0x7_0000_0040, 7)
	if m.ReadWord(0x1008) != 42 || m.ReadWord(0x7_0000_0040) != 7 || m.ReadWord(0x1000) != 0 {
		t.Fatal("words do not read back")
	}
	d := m.ReadLine(Addr(0x1008).Line())
	if d[1] != 42 || d[0] != 0 {
		t.Fatalf("line %v", d)
	}
	d[7] = 9
	m.WriteLine(0x1000, d)
	if m.ReadWord(0x1038) != 9 {
		t.Fatal("line write lost")
	}
	if len(m.pages) != 2 {
		t.Fatalf("%d pages allocated for two touched pages", len(m.pages))
	}
}

// TestMsgLayout: the header of a message is one host cache line, the
// data the next (see Msg).
func TestMsgLayout(t *testing.T) {
	var m Msg
	if s := unsafe.Sizeof(m); s != 128 {
		t.Errorf("Msg is %d bytes, want 128", s)
	}
	if o := unsafe.Offsetof(m.Data); o != 64 {
		t.Errorf("Msg.Data at offset %d, want 64", o)
	}
}

func TestAddressArithmetic(t *testing.T) {
	a := Addr(0x12345)
	if a.Line() != 0x12340 || Addr(0x12378).Word() != 7 || LineAddr(0x40).Addr(3) != 0x58 {
		t.Fatal("line/word arithmetic wrong")
	}
}

func TestHomeMap(t *testing.T) {
	h, err := NewHomeMap([]Range{{Base: 0x1000, Size: 0x1000, Home: 1}, {Base: 0, Size: 0x1000, Home: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if h.Home(0) != 0 || h.Home(0xfff) != 0 || h.Home(0x1000) != 1 || h.Home(0x1fff) != 1 {
		t.Fatal("wrong homes")
	}
	if rs := h.Ranges(); rs[0].Home != 0 {
		t.Fatal("ranges not in address order")
	}
	if _, err := NewHomeMap([]Range{{Base: 0, Size: 0x2000}, {Base: 0x1000, Size: 0x1000, Home: 1}}); err == nil {
		t.Fatal("overlap accepted")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "no memory range") {
			t.Fatalf("address outside memory: %v", r)
		}
	}()
	h.Home(0x2000)
}

func TestAccessApplyAndStrings(t *testing.T) {
	cas := &Access{Op: OpCAS, Addr: 8, Old: 1, Value: 2}
	if cas.Apply(1) != 2 || cas.Apply(3) != 3 {
		t.Fatal("CAS")
	}
	fa := &Access{Op: OpFetchAdd, Value: 5}
	if fa.Apply(10) != 15 || !fa.Op.Atomic() || !fa.Op.Writes() || OpLoad.Writes() {
		t.Fatal("FetchAdd")
	}
	// Stable renderings: traces and golden files depend on them.
	for got, want := range map[string]string{
		cas.String(): "CAS 0x8 0x1->0x2",
		(&Access{Op: OpStore, Addr: 16, Value: 3}).String(): "Store 0x10 0x3",
		OpFlush.String():   "Flush",
		ClassData.String(): "data",
		(&Msg{Header: Header{Kind: 1, Class: ClassProbe, Src: 1, Dst: 2, Line: 0x40, Txn: 9, ID: 3}}).String(): "k1[probe] 1->2 line 0x40 txn 9 op 3",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if ClassData.Bytes() != 72 || ClassProbe.Bytes() != 8 {
		t.Fatal("message sizes")
	}
}

// Home's indexed path (contiguous ranges of one power-of-two size) and its
// search agree with a scan of the ranges.
func TestHomeMapIndexed(t *testing.T) {
	for _, rs := range [][]Range{
		{{Base: 0x4000, Size: 0x1000, Home: 3}, {Base: 0x5000, Size: 0x1000, Home: 1}, {Base: 0x6000, Size: 0x1000, Home: 2}},
		{{Base: 0x4000, Size: 0x1000, Home: 3}, {Base: 0x6000, Size: 0x1000, Home: 1}},
		{{Base: 0x4000, Size: 0x1000, Home: 3}, {Base: 0x5000, Size: 0x2000, Home: 1}},
		{{Base: 0x4000, Size: 0x1800, Home: 3}, {Base: 0x5800, Size: 0x1800, Home: 1}},
	} {
		h, err := NewHomeMap(rs)
		if err != nil {
			t.Fatal(err)
		}
		if want := rs[1].Base == rs[0].End() && rs[1].Size == rs[0].Size && rs[0].Size&(rs[0].Size-1) == 0; h.uniform != want {
			t.Errorf("%v: uniform %v, want %v", rs, h.uniform, want)
		}
		for _, r := range rs {
			for _, a := range []Addr{r.Base, r.Base + 8, r.End() - 1} {
				if got := h.Home(a); got != r.Home {
					t.Errorf("%v: Home(%v) = %d, want %d", rs, a, got, r.Home)
				}
			}
		}
	}
}
