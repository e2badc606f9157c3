package archtest

import (
	"fmt"
	"sort"
	"strings"

	"mksim/arch"
)

// Access is a bit set of the ways a line was touched.
type Access uint8

const (
	Read     Access = 1 << iota // Load, or SpinUntil's polling
	Write                       // Store
	Atomic                      // CAS, FetchAdd, Swap
	Prefetch                    // Prefetch
	Flush                       // Flush or Invalidate
)

func (a Access) String() string {
	if a == 0 {
		return "-"
	}
	var b strings.Builder
	for i, n := range []string{"R", "W", "A", "P", "F"} {
		if a&(1<<i) != 0 {
			b.WriteString(n)
		}
	}
	return b.String()
}

// Counts are the operations a Recorder saw.
type Counts struct {
	Loads, Stores, Atomics, Spins, Prefetches, Flushes, Fences int64
	Syscalls, AddressSpaceSwitches, TLBInvalidations           int64
	IPIsSent, Halts                                            int64
	Computed                                                   int64
}

// Recorder is an arch.Core that forwards every call to an inner core and
// records the cache lines touched (with how) and the operations made. It
// works over any arch.Core (archtest or the simulator), so experiments can
// count the D-cache lines a code path uses, and tests can check that two
// CPU drivers use disjoint memory. Interrupt handlers installed through a
// Recorder receive the Recorder, so their accesses are recorded too.
//
// Pause/Resume bracket code whose accesses should not count.
type Recorder struct {
	inner  arch.Core
	lines  map[arch.Addr]Access
	counts Counts
	paused bool
}

var _ arch.Core = (*Recorder)(nil)

// NewRecorder wraps c.
func NewRecorder(c arch.Core) *Recorder {
	return &Recorder{inner: c, lines: map[arch.Addr]Access{}}
}

// Inner returns the wrapped core.
func (r *Recorder) Inner() arch.Core { return r.inner }

// Reset forgets everything recorded so far.
func (r *Recorder) Reset() {
	r.lines = map[arch.Addr]Access{}
	r.counts = Counts{}
}

// Pause stops recording until Resume.
func (r *Recorder) Pause() { r.paused = true }

// Resume restarts recording.
func (r *Recorder) Resume() { r.paused = false }

// Lines returns the distinct line addresses touched, sorted.
func (r *Recorder) Lines() []arch.Addr { return r.linesWith(0) }

// LinesWritten returns the distinct lines stored to (Store or atomic).
func (r *Recorder) LinesWritten() []arch.Addr { return r.linesWith(Write | Atomic) }

// Touched returns the line → access map (a copy).
func (r *Recorder) Touched() map[arch.Addr]Access {
	out := make(map[arch.Addr]Access, len(r.lines))
	for k, v := range r.lines {
		out[k] = v
	}
	return out
}

// Counts returns the operations recorded.
func (r *Recorder) Counts() Counts { return r.counts }

// String lists the lines touched, one per line: "0x10040 RW".
func (r *Recorder) String() string {
	var b strings.Builder
	for _, l := range r.Lines() {
		fmt.Fprintf(&b, "%#x %v\n", uint64(l), r.lines[l])
	}
	return b.String()
}

func (r *Recorder) linesWith(mask Access) []arch.Addr {
	var out []arch.Addr
	for l, a := range r.lines {
		if mask == 0 || a&mask != 0 {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (r *Recorder) touch(a arch.Addr, how Access) {
	if !r.paused {
		r.lines[a&^(arch.CacheLineSize-1)] |= how
	}
}

func (r *Recorder) count(p *int64, n int64) {
	if !r.paused {
		*p += n
	}
}

func (r *Recorder) ID() arch.CoreID { return r.inner.ID() }

func (r *Recorder) Load(a arch.Addr) uint64 {
	r.touch(a, Read)
	r.count(&r.counts.Loads, 1)
	return r.inner.Load(a)
}

func (r *Recorder) Store(a arch.Addr, v uint64) {
	r.touch(a, Write)
	r.count(&r.counts.Stores, 1)
	r.inner.Store(a, v)
}

func (r *Recorder) CAS(a arch.Addr, old, new uint64) bool {
	r.touch(a, Atomic)
	r.count(&r.counts.Atomics, 1)
	return r.inner.CAS(a, old, new)
}

func (r *Recorder) FetchAdd(a arch.Addr, d uint64) uint64 {
	r.touch(a, Atomic)
	r.count(&r.counts.Atomics, 1)
	return r.inner.FetchAdd(a, d)
}

func (r *Recorder) Swap(a arch.Addr, v uint64) uint64 {
	r.touch(a, Atomic)
	r.count(&r.counts.Atomics, 1)
	return r.inner.Swap(a, v)
}

func (r *Recorder) Fence() { r.count(&r.counts.Fences, 1); r.inner.Fence() }

func (r *Recorder) Prefetch(a arch.Addr) {
	r.touch(a, Prefetch)
	r.count(&r.counts.Prefetches, 1)
	r.inner.Prefetch(a)
}

func (r *Recorder) Flush(a arch.Addr) {
	r.touch(a, Flush)
	r.count(&r.counts.Flushes, 1)
	r.inner.Flush(a)
}

func (r *Recorder) Invalidate(a arch.Addr) {
	r.touch(a, Flush)
	r.count(&r.counts.Flushes, 1)
	r.inner.Invalidate(a)
}

func (r *Recorder) Compute(n int64) { r.count(&r.counts.Computed, n); r.inner.Compute(n) }

func (r *Recorder) Now() arch.Cycles { return r.inner.Now() }

func (r *Recorder) SpinUntil(a arch.Addr, cond func(uint64) bool, max arch.Cycles) (uint64, bool) {
	r.touch(a, Read)
	r.count(&r.counts.Spins, 1)
	return r.inner.SpinUntil(a, cond, max)
}

func (r *Recorder) SendIPI(to arch.CoreID, v arch.Vector) {
	r.count(&r.counts.IPIsSent, 1)
	r.inner.SendIPI(to, v)
}

func (r *Recorder) SetInterruptHandler(v arch.Vector, h arch.InterruptHandler) {
	if h == nil {
		r.inner.SetInterruptHandler(v, nil)
		return
	}
	r.inner.SetInterruptHandler(v, func(_ arch.Core, v arch.Vector, from arch.CoreID) { h(r, v, from) })
}

func (r *Recorder) SetInterrupts(enabled bool) bool { return r.inner.SetInterrupts(enabled) }

func (r *Recorder) Halt() { r.count(&r.counts.Halts, 1); r.inner.Halt() }

func (r *Recorder) Syscall() { r.count(&r.counts.Syscalls, 1); r.inner.Syscall() }

func (r *Recorder) SwitchAddressSpace() {
	r.count(&r.counts.AddressSpaceSwitches, 1)
	r.inner.SwitchAddressSpace()
}

func (r *Recorder) InvalidateTLBEntry(p arch.Addr) {
	r.count(&r.counts.TLBInvalidations, 1)
	r.inner.InvalidateTLBEntry(p)
}

func (r *Recorder) Tag(op uint32) uint32 { return r.inner.Tag(op) }
