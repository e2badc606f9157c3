package mem

import (
	"fmt"

	"mksim/sim"
)

// Op is what a core asks of its L1 data cache.
type Op uint8

const (
	OpLoad       Op = iota // read one word
	OpStore                // write one word (drained from the store buffer)
	OpCAS                  // locked compare-and-swap of one word
	OpFetchAdd             // locked fetch-and-add of one word
	OpSwap                 // locked exchange of one word
	OpPrefetch             // bring the line in for reading; completes at once for the core
	OpPrefetchW            // bring the line in for writing
	OpFlush                // write back (if dirty) and invalidate the line from this core's caches
	OpInvalidate           // discard the line from this core's caches without writeback
	numOps
)

var opNames = [...]string{"Load", "Store", "CAS", "FetchAdd", "Swap", "Prefetch", "PrefetchW", "Flush", "Invalidate"}

func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Atomic reports whether the op is a locked read-modify-write.
func (o Op) Atomic() bool { return o == OpCAS || o == OpFetchAdd || o == OpSwap }

// Writes reports whether the op needs write permission.
func (o Op) Writes() bool { return o == OpStore || o.Atomic() || o == OpPrefetchW }

// Access is one request from a core to its L1. It is passed by pointer and
// owned by the issuer until the completion fires, so hot paths reuse one
// Access per core and allocate nothing.
type Access struct {
	Op    Op
	Addr  Addr   // 8-byte aligned
	Value uint64 // Store: value; CAS: new value; FetchAdd: delta; Swap: new value
	Old   uint64 // CAS: expected value
	ID    OpID   // the software operation this access belongs to
}

func (a *Access) String() string {
	switch a.Op {
	case OpStore, OpFetchAdd, OpSwap:
		return fmt.Sprintf("%v %v %#x", a.Op, a.Addr, a.Value)
	case OpCAS:
		return fmt.Sprintf("CAS %v %#x->%#x", a.Addr, a.Old, a.Value)
	default:
		return fmt.Sprintf("%v %v", a.Op, a.Addr)
	}
}

// Apply performs an atomic op on the old value of the word, returning the
// value to store back. For non-atomic writes it returns a.Value.
func (a *Access) Apply(old uint64) uint64 {
	switch a.Op {
	case OpCAS:
		if old == a.Old {
			return a.Value
		}
		return old
	case OpFetchAdd:
		return old + a.Value
	default:
		return a.Value
	}
}

// Completion is told when an access that missed is done. Result is the
// word's value before the access (for loads, the value read; for CAS, compare
// the result with Access.Old to see if it succeeded; for stores, undefined).
type Completion interface {
	Complete(result uint64)
}

// Port is a core's view of its private L1 data cache.
//
// A core first tries Hit: if the L1 holds the line with enough permission the
// access is performed at once, with no event, and Hit returns its latency;
// the core charges that on its local clock. Otherwise the core calls Issue
// and waits; the cache calls done.Complete from an event once the access has
// been performed. At most one Issue is outstanding per port at a time unless
// the cache says otherwise (prefetches complete at once for the core).
type Port interface {
	Hit(a *Access) (result uint64, latency sim.Time, ok bool)
	Issue(a *Access, done Completion)
}
