package arch

import "fmt"

// CoreID numbers hardware threads 0..N-1 in topology order.
type CoreID int

// PackageID numbers packages (sockets) 0..P-1.
type PackageID int

// NodeID numbers memory nodes (NUMA nodes) 0..M-1.
type NodeID int

// Addr is a physical byte address.
type Addr uint64

// Cycles counts cycles of one core's clock (its TSC).
type Cycles int64

// Vector is an interrupt vector.
type Vector uint8

func (c CoreID) String() string { return fmt.Sprintf("core%d", int(c)) }

// WordSize is the size of every Load and Store.
const WordSize = 8

// CacheLineSize is the coherence granule software may rely on for layout.
const CacheLineSize = 64

// InterruptHandler runs on the interrupted core, in its own context, after
// the trap cost has been charged. from is the sending core.
type InterruptHandler func(c Core, v Vector, from CoreID)

// Core is one hardware thread as software sees it. All methods must be called
// only from the program running on this core.
type Core interface {
	ID() CoreID

	// Load returns the 8-byte word at a (8-byte aligned).
	Load(a Addr) uint64
	// Store writes the 8-byte word at a. Stores are x86-TSO: they enter a
	// FIFO store buffer, are forwarded to this core's own later loads, and
	// become visible to other cores in program order.
	Store(a Addr, v uint64)
	// CAS atomically replaces the word at a with new if it equals old and
	// returns whether it did. Locked: drains the store buffer.
	CAS(a Addr, old, new uint64) bool
	// FetchAdd atomically adds delta to the word at a and returns the old
	// value. Locked: drains the store buffer.
	FetchAdd(a Addr, delta uint64) uint64
	// Swap atomically replaces the word at a and returns the old value.
	Swap(a Addr, v uint64) uint64
	// Fence drains the store buffer (mfence).
	Fence()
	// Prefetch hints that the line holding a will be read soon; it does not
	// wait for the data.
	Prefetch(a Addr)
	// Flush writes the line holding a back to memory if dirty and removes it
	// from this core's caches (clflush). Needed on non-coherent cores.
	Flush(a Addr)
	// Invalidate discards the line holding a from this core's caches without
	// writing it back. Needed on non-coherent cores.
	Invalidate(a Addr)

	// Compute charges n plain instructions at the core type's CPI.
	Compute(n int64)
	// Now reads the core's time-stamp counter, in its own cycles.
	Now() Cycles
	// SpinUntil polls the word at a until cond(value) holds or maxCycles
	// pass (maxCycles <= 0: forever). It returns the last value read and
	// whether cond held. It behaves as the loop
	//     for { v := Load(a); if cond(v) { return v, true } }
	// within one iteration of that loop, but costs events only when the
	// polled line changes.
	SpinUntil(a Addr, cond func(uint64) bool, maxCycles Cycles) (uint64, bool)

	// SendIPI sends interrupt vector v to core to.
	SendIPI(to CoreID, v Vector)
	// SetInterruptHandler installs the handler for vector v on this core.
	SetInterruptHandler(v Vector, h InterruptHandler)
	// SetInterrupts enables or disables interrupt delivery on this core and
	// returns the previous setting. While disabled, interrupts stay pending.
	SetInterrupts(enabled bool) (was bool)
	// Halt parks the core until an interrupt is delivered; the handler runs
	// before Halt returns. Halt with interrupts disabled and none pending
	// would never return and panics.
	Halt()

	// Syscall charges one kernel entry and exit (syscall/sysret) at the core
	// type's cost. The kernel code run in between is charged separately, by
	// the loads, stores and Compute it performs.
	Syscall()
	// SwitchAddressSpace charges loading a new page-table root, including
	// the TLB flush it implies on the core type.
	SwitchAddressSpace()
	// InvalidateTLBEntry charges invalidating the TLB entry of one page
	// (invlpg).
	InvalidateTLBEntry(page Addr)

	// Tag sets the operation tag carried by this core's memory requests from
	// now on, so interconnect traffic can be attributed to OS operations; it
	// returns the previous tag. Zero means untagged.
	Tag(op uint32) (prev uint32)
}

// CoreInfo is what software may discover about a core (CPUID, ACPI tables).
type CoreInfo struct {
	ID       CoreID
	Package  PackageID
	Node     NodeID // memory node local to this core
	Type     string // core type name from the topology
	Coherent bool   // whether its caches take part in coherence
	TSCHz    int64  // TSC frequency, as software reads it from CPUID
}

// Region is a span of physical memory local to one node.
type Region struct {
	Node NodeID
	Base Addr
	Size uint64
}

// Program is the code a core runs; it returns when the core's work is done.
type Program func(c Core)

// Machine is the hardware as software may discover it, plus the means to
// start programs on its cores.
type Machine interface {
	NumCores() int
	Info(id CoreID) CoreInfo
	// SharedCacheLevel is the level of the nearest cache the two cores share
	// (2 for a shared L2, 3 for a shared L3), or 0 if they share none.
	SharedCacheLevel(a, b CoreID) int
	// Regions lists physical memory, in address order.
	Regions() []Region

	// Start sets the program core id runs when Run is called. Cores with no
	// program stay halted (they still take interrupts if a handler is set).
	Start(id CoreID, p Program)
	// Run executes until every started program has returned. It returns an
	// error if the programs deadlock (every core waiting, nothing pending).
	Run() error
}
