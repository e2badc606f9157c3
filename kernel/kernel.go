package kernel

import (
	"errors"
	"fmt"

	"mksim/arch"
)

// Options configure a CPU driver.
type Options struct {
	// Timeslice is the best-effort scheduling quantum in cycles: a
	// best-effort dispatcher's period is Timeslice times the number of
	// runnable best-effort dispatchers (default 1,000,000). There is no
	// timer interrupt; the scheduler runs at kernel entries.
	Timeslice arch.Cycles
	// CNodeSlots is the size of each dispatcher's root CNode (default 16).
	CNodeSlots int
}

// ErrStuck is returned by Run when live dispatchers remain but none is
// runnable and none waits for an interrupt: nothing can ever wake them.
var ErrStuck = errors.New("kernel: all dispatchers blocked with nothing to wake them")

// CPUDriver is the kernel of one core. It shares no state with the CPU
// drivers of other cores: its KCB, DCBs, CNodes and dispatcher frames are
// allocated on its own node and touched only by its own core.
type CPUDriver struct {
	c     arch.Core
	alloc *arch.FrameAllocator
	node  arch.NodeID
	opts  Options
	kcb   arch.Addr

	disps   []*Dispatcher
	byDCB   map[arch.Addr]*Dispatcher
	live    int
	cur     *Dispatcher // the running dispatcher (mirrors KCB current)
	vspace  uint64      // loaded address-space root (the CR3 register)
	nextVS  uint64
	resched bool // an interrupt asked for a reschedule
	running bool

	irqDisps map[arch.Vector][]*Dispatcher
	stats    Stats
}

// Stats counts what the CPU driver did.
type Stats struct {
	Syscalls, LRPCFast, LRPCSlow, LMPSends, Yields int64
	Dispatches, Upcalls, Resumes, Preemptions      int64
	ContextSwitches, AddressSpaceSwitches          int64
	IRQs, Idles                                    int64
}

// Boot starts a CPU driver on core c, allocating its memory on node. It must
// be called from c's program, which then creates dispatchers and calls Run.
func Boot(c arch.Core, alloc *arch.FrameAllocator, node arch.NodeID, opts Options) (*CPUDriver, error) {
	if opts.Timeslice <= 0 {
		opts.Timeslice = 1_000_000
	}
	if opts.CNodeSlots <= 0 {
		opts.CNodeSlots = defaultSlots
	}
	kcb, err := alloc.Alloc(node, kcbWords*arch.WordSize, 4096)
	if err != nil {
		return nil, fmt.Errorf("kernel: boot core %d: %w", c.ID(), err)
	}
	return &CPUDriver{c: c, alloc: alloc, node: node, opts: opts, kcb: kcb, nextVS: 1,
		irqDisps: map[arch.Vector][]*Dispatcher{}}, nil
}

// Core is the core this CPU driver runs on (as passed to Boot).
func (k *CPUDriver) Core() arch.Core { return k.c }

// KCB is the address of the kernel control block.
func (k *CPUDriver) KCB() arch.Addr { return k.kcb }

// Stats returns the driver's counters.
func (k *CPUDriver) Stats() Stats { return k.stats }

// Dispatchers returns the dispatchers created, in creation order.
func (k *CPUDriver) Dispatchers() []*Dispatcher { return append([]*Dispatcher(nil), k.disps...) }

func (k *CPUDriver) ld(base arch.Addr, i int) uint64    { return k.c.Load(word(base, i)) }
func (k *CPUDriver) st(base arch.Addr, i int, v uint64) { k.c.Store(word(base, i), v) }

func (k *CPUDriver) failf(format string, args ...any) {
	panic(fmt.Sprintf("kernel: core %d: invariant broken: %s", k.c.ID(), fmt.Sprintf(format, args...)))
}

// Run is the kernel's main loop: it dispatches dispatchers until all have
// exited. Kernel code runs with interrupts disabled; user code with them
// enabled. When nothing is runnable the core halts until an interrupt.
func (k *CPUDriver) Run() error {
	if k.running {
		return errors.New("kernel: Run called twice")
	}
	k.running = true
	was := k.c.SetInterrupts(false)
	clean := false
	defer func() {
		// Also on a panic or an abort of the core's program: end the
		// dispatcher coroutines so none is left suspended.
		for _, d := range k.disps {
			if d.stop != nil {
				d.stop()
			}
		}
		if clean {
			k.c.SetInterrupts(was)
		}
	}()
	for k.live > 0 {
		if k.cur == nil {
			next := k.schedule()
			if next == nil {
				if len(k.irqDisps) == 0 {
					clean = true
					return fmt.Errorf("%w (%d live)", ErrStuck, k.live)
				}
				k.idle()
				continue
			}
			k.dispatch(next)
		}
		k.runUser()
	}
	clean = true
	return nil
}

// idle halts the core until an interrupt, as the kernel's idle loop does.
// The interrupt handler sets resched; checking it between enabling and
// halting has no Core call in between, so no interrupt is lost.
func (k *CPUDriver) idle() {
	k.stats.Idles++
	k.resched = false
	k.c.SetInterrupts(true)
	if !k.resched {
		k.c.Halt()
	}
	k.c.SetInterrupts(false)
	k.resched = false
}

// runUser resumes the current dispatcher and serves its requests until the
// kernel switches away from it.
func (k *CPUDriver) runUser() {
	d := k.cur
	k.c.SetInterrupts(true)
	for {
		if k.resched {
			k.c.SetInterrupts(false)
			k.preempt()
			return
		}
		if !d.resume() {
			k.c.SetInterrupts(false)
			k.exit(d)
			return
		}
		r := d.req
		if r.kind < firstSyscall {
			k.userOp(d, r)
			continue
		}
		k.c.SetInterrupts(false)
		k.stats.Syscalls++
		k.c.Syscall()
		if k.syscall(d, r) {
			return // switched away; k.cur is the next dispatcher or nil
		}
		k.c.SetInterrupts(true)
	}
}

// userOp performs one user-mode operation on the dispatcher's behalf.
func (k *CPUDriver) userOp(d *Dispatcher, r *request) {
	c := k.c
	r.done = true
	switch r.kind {
	case opLoad:
		r.res = c.Load(r.a)
	case opStore:
		c.Store(r.a, r.v)
	case opCAS:
		r.ok = c.CAS(r.a, r.v, r.w)
	case opFetchAdd:
		r.res = c.FetchAdd(r.a, r.v)
	case opSwap:
		r.res = c.Swap(r.a, r.v)
	case opFence:
		c.Fence()
	case opPrefetch:
		c.Prefetch(r.a)
	case opFlush:
		c.Flush(r.a)
	case opInvalidate:
		c.Invalidate(r.a)
	case opCompute:
		c.Compute(int64(r.v))
	case opNow:
		r.res = uint64(c.Now())
	case opTag:
		r.res = uint64(c.Tag(uint32(r.v)))
	case opSpin:
		// Spin until cond holds, the deadline passes, or an interrupt
		// asks for a reschedule (then the request is re-issued when the
		// dispatcher runs again).
		if r.max > 0 && r.deadline == 0 {
			r.deadline = c.Now() + r.max
		}
		var left arch.Cycles
		if r.max > 0 {
			left = r.deadline - c.Now()
			if left <= 0 {
				left = 1
			}
		}
		cond := r.cond
		v, _ := c.SpinUntil(r.a, func(v uint64) bool { return cond(v) || k.resched }, left)
		r.res = v
		r.ok = cond(v)
		if !r.ok && k.resched && (r.max <= 0 || c.Now() < r.deadline) {
			r.done = false
		}
	default:
		k.failf("unknown user operation %v", r.kind)
	}
}

// preempt saves the running dispatcher's full register state (into its
// disabled area if it was disabled, else its enabled area) and leaves the
// choice of what runs next to the scheduler. A preempted dispatcher has
// work, so it is (re)entered in the run queue.
func (k *CPUDriver) preempt() {
	d := k.cur
	k.stats.Preemptions++
	k.resched = false
	k.save(d, fullRegWords)
	k.makeRunnable(d)
	k.cur = nil
}

// save stores n register words of the running dispatcher into the save area
// its disabled flag selects, and records which in the DCB.
func (k *CPUDriver) save(d *Dispatcher, n int) {
	dis := k.ld(d.frame, fDisabled)
	area := fEnabledArea
	if dis != 0 {
		area = fDisabledArea
	}
	for i := 0; i < n; i++ {
		k.st(d.frame, area+i, d.regs+uint64(i))
	}
	k.st(d.dcb, dcbDisabled, dis)
}

// dispatch makes d the running dispatcher: load its address space if it
// differs, then either resume it from its disabled area (it was disabled
// when it last stopped) or mark it disabled and upcall its run entry.
func (k *CPUDriver) dispatch(d *Dispatcher) {
	k.stats.Dispatches++
	k.c.Compute(instrDispatch)
	k.switchTo(d)
	if k.ld(d.dcb, dcbDisabled) != 0 {
		k.stats.Resumes++
		for i := 0; i < fullRegWords; i++ {
			k.ld(d.frame, fDisabledArea+i)
		}
		return
	}
	k.upcall(d, upcall{kind: upRun})
}

// switchTo loads d's address space if needed and records it as current.
func (k *CPUDriver) switchTo(d *Dispatcher) {
	if k.cur != d {
		k.stats.ContextSwitches++
	}
	vs := k.ld(d.dcb, dcbVSpace)
	if vs != k.vspace {
		k.stats.AddressSpaceSwitches++
		k.c.SwitchAddressSpace()
		k.vspace = vs
	}
	k.st(k.kcb, kcbCurrent, uint64(d.dcb))
	k.cur = d
}

// upcall enters d at an upcall entry point with the dispatcher disabled.
func (k *CPUDriver) upcall(d *Dispatcher, u upcall) {
	k.stats.Upcalls++
	k.st(d.frame, fDisabled, 1)
	k.st(d.frame, fSystime, uint64(k.c.Now()))
	entry := fEntryRun
	if u.kind == upLRPC {
		entry = fEntryLRPC
	}
	k.ld(d.frame, entry)
	k.c.Compute(instrUpcall)
	if d.upcall.kind != upNone {
		k.failf("upcall %v into %s with %v pending", u.kind, d.name, d.upcall.kind)
	}
	d.upcall = u
}

// exit removes a dispatcher whose program returned.
func (k *CPUDriver) exit(d *Dispatcher) {
	k.stats.Syscalls++
	k.c.Syscall()
	k.c.Compute(instrSyscallEntry)
	k.schedRemove(d)
	k.st(d.dcb, dcbAlive, 0)
	d.dead = true
	k.live--
	k.cur = nil
	for v, ds := range k.irqDisps {
		out := ds[:0]
		for _, x := range ds {
			if x != d {
				out = append(out, x)
			}
		}
		if len(out) == 0 {
			delete(k.irqDisps, v)
		} else {
			k.irqDisps[v] = out
		}
	}
}

// syscall handles a kernel entry from d; it returns true if the kernel
// switched away from d.
func (k *CPUDriver) syscall(d *Dispatcher, r *request) bool {
	c := k.c
	r.done = true
	switch r.kind {
	case sysLRPC:
		return k.lrpc(d, r)
	case sysSend:
		c.Compute(instrSyscallEntry)
		return k.lmpSend(d, r)
	case sysYield:
		c.Compute(instrSyscallEntry)
		return k.sysYield(d)
	case sysNull:
		c.Compute(instrSyscallEntry)
		return false
	case sysSendIPI:
		c.Compute(instrSyscallEntry)
		c.SendIPI(r.to, r.vec)
		return false
	case sysIRQRegister:
		c.Compute(instrSyscallEntry)
		k.st(k.kcb, kcbIRQTable+int(r.vec), uint64(d.dcb))
		if _, ok := k.irqDisps[r.vec]; !ok {
			c.SetInterruptHandler(r.vec, k.irq)
		}
		for _, x := range k.irqDisps[r.vec] {
			if x == d {
				return false
			}
		}
		k.irqDisps[r.vec] = append(k.irqDisps[r.vec], d)
		return false
	case sysSwitchAS:
		c.SwitchAddressSpace()
		return false
	case sysInvlpg:
		c.InvalidateTLBEntry(r.a)
		return false
	}
	k.failf("unknown syscall %v", r.kind)
	return false
}

// sysYield is sys_yield from a dispatcher that has disabled itself (its
// thread state is saved at user level). If it has no work and no undelivered
// messages or notifications it leaves the run queue; otherwise it is
// re-released (scheduler_yield). Either way the scheduler picks next.
func (k *CPUDriver) sysYield(d *Dispatcher) bool {
	k.stats.Yields++
	k.c.Compute(instrYield)
	k.st(d.frame, fDisabled, 0)
	k.st(d.dcb, dcbDisabled, 0)
	haswork := k.ld(d.frame, fHaswork)
	delivered := k.ld(d.frame, fLMPDelivered)
	seen := k.ld(d.frame, fLMPSeen)
	notify := k.ld(d.frame, gNotify)
	if haswork == 0 && delivered == seen && notify == 0 {
		k.schedRemove(d)
	} else {
		k.schedYield(d)
	}
	k.cur = nil
	return true
}

// irq is the kernel's handler for a vector dispatchers registered: it
// records a notification in each registered dispatcher's frame, makes them
// runnable and asks for a reschedule.
func (k *CPUDriver) irq(_ arch.Core, v arch.Vector, from arch.CoreID) {
	k.stats.IRQs++
	k.c.Compute(instrIRQ)
	k.ld(k.kcb, kcbIRQTable+int(v))
	for _, d := range k.irqDisps[v] {
		d.pending[v/64] |= 1 << (v % 64)
		d.pendFrom[v] = from
		k.ld(d.dcb, dcbDisp)
		k.st(d.frame, gNotify, k.ld(d.frame, gNotify)+1)
		k.makeRunnable(d)
	}
	k.resched = true
}
