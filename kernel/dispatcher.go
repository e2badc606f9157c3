package kernel

import (
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"runtime/debug"

	"mksim/arch"
)

// SchedType is a dispatcher's RBED task type.
type SchedType uint8

const (
	BestEffort SchedType = iota
	SoftRT
	HardRT
)

func (t SchedType) String() string {
	switch t {
	case BestEffort:
		return "best-effort"
	case SoftRT:
		return "soft-rt"
	case HardRT:
		return "hard-rt"
	}
	return fmt.Sprintf("SchedType(%d)", uint8(t))
}

// DispatcherConfig describes a dispatcher to create.
type DispatcherConfig struct {
	Name string
	Type SchedType
	// Weight is a best-effort dispatcher's share weight (default 1).
	Weight uint64
	// WCET, Period and Deadline (relative; default Period) are a real-time
	// dispatcher's reservation, in cycles.
	WCET, Period, Deadline arch.Cycles
	// Release delays a real-time dispatcher's first release (cycles from
	// creation).
	Release arch.Cycles
	// VSpace is the address space to run in: 0 creates a new one (a new
	// domain); another dispatcher's VSpace() shares it (same domain).
	VSpace uint64
}

// Dispatcher is a user-level dispatcher on one core: a DCB in kernel memory,
// a dispatcher frame shared with the kernel, a root CNode, and one user
// thread running its main function. Its code runs as a coroutine that the
// CPU driver resumes; every memory operation it makes goes through the
// kernel's core while the dispatcher is current, so it is executed by, and
// priced on, that core.
type Dispatcher struct {
	k     *CPUDriver
	id    int
	name  string
	cfg   DispatcherConfig
	dcb   arch.Addr
	frame arch.Addr
	cnode arch.Addr
	vs    uint64
	main  func(*Dispatcher)
	user  *userCore

	next   func() (struct{}, bool)
	stop   func()
	yield  func(struct{}) bool
	active bool
	dead   bool
	fail   *failure

	req    *request
	pool   [maxDepth]request
	depth  int
	upcall upcall
	regs   uint64 // stand-in for register contents written to save areas

	slots int
	chans int

	intsOn   bool
	pending  [4]uint64
	pendFrom [256]arch.CoreID
	handlers map[arch.Vector]arch.InterruptHandler
}

type failure struct {
	val   any
	stack []byte
}

const maxDepth = 8

var errAbort = errors.New("kernel: dispatcher aborted")

type reqKind uint8

const (
	opLoad reqKind = iota
	opStore
	opCAS
	opFetchAdd
	opSwap
	opFence
	opPrefetch
	opFlush
	opInvalidate
	opCompute
	opNow
	opTag
	opSpin
	sysLRPC // first kernel entry
	sysSend
	sysYield
	sysNull
	sysSendIPI
	sysIRQRegister
	sysSwitchAS
	sysInvlpg

	firstSyscall = sysLRPC
)

var reqNames = [...]string{"load", "store", "cas", "fetchadd", "swap", "fence", "prefetch", "flush",
	"invalidate", "compute", "now", "tag", "spin", "sys_lrpc", "sys_send", "sys_yield", "sys_null",
	"sys_ipi", "sys_irq_register", "sys_switch_as", "sys_invlpg"}

func (k reqKind) String() string {
	if int(k) < len(reqNames) {
		return reqNames[k]
	}
	return fmt.Sprintf("reqKind(%d)", uint8(k))
}

// request is what a dispatcher asks of the kernel: one user-mode operation
// on the core, or a system call.
type request struct {
	kind     reqKind
	a        arch.Addr
	v, w     uint64
	cond     func(uint64) bool
	max      arch.Cycles
	deadline arch.Cycles
	to       arch.CoreID
	vec      arch.Vector
	cptr     uint64
	flags    SendFlags
	n        int
	words    [LMPMsgLength]uint64

	res  uint64
	ok   bool
	err  error
	done bool
}

type upcallKind uint8

const (
	upNone upcallKind = iota
	upRun
	upLRPC
)

func (u upcallKind) String() string {
	switch u {
	case upNone:
		return "none"
	case upRun:
		return "run"
	case upLRPC:
		return "lrpc"
	}
	return fmt.Sprintf("upcallKind(%d)", uint8(u))
}

type upcall struct {
	kind  upcallKind
	ep    arch.Addr
	pos   uint64
	words [LRPCMsgLength]uint64
}

// NewDispatcher creates a dispatcher running main and makes it runnable.
// It must be called from the core's program before Run.
func (k *CPUDriver) NewDispatcher(cfg DispatcherConfig, main func(d *Dispatcher)) (*Dispatcher, error) {
	if k.running {
		return nil, errors.New("kernel: NewDispatcher after Run")
	}
	if cfg.Name == "" {
		cfg.Name = fmt.Sprintf("disp%d", len(k.disps))
	}
	if cfg.Weight == 0 {
		cfg.Weight = 1
	}
	if cfg.Type != BestEffort {
		if cfg.Period <= 0 || cfg.WCET <= 0 || cfg.WCET > cfg.Period {
			return nil, fmt.Errorf("kernel: dispatcher %s: real-time needs 0 < WCET <= Period", cfg.Name)
		}
		if cfg.Deadline <= 0 {
			cfg.Deadline = cfg.Period
		}
		if err := k.admit(cfg); err != nil {
			return nil, fmt.Errorf("kernel: dispatcher %s: %w", cfg.Name, err)
		}
	}
	dcb, err := k.alloc.Alloc(k.node, dcbWords*arch.WordSize, arch.CacheLineSize)
	if err != nil {
		return nil, fmt.Errorf("kernel: dispatcher %s: %w", cfg.Name, err)
	}
	frame, err := k.alloc.Alloc(k.node, frameBytes, 4096)
	if err != nil {
		return nil, fmt.Errorf("kernel: dispatcher %s: %w", cfg.Name, err)
	}
	cnode, err := k.alloc.Alloc(k.node, uint64(k.opts.CNodeSlots*cteWords*arch.WordSize), 4096)
	if err != nil {
		return nil, fmt.Errorf("kernel: dispatcher %s: %w", cfg.Name, err)
	}
	d := &Dispatcher{k: k, id: len(k.disps), name: cfg.Name, cfg: cfg, dcb: dcb, frame: frame,
		cnode: cnode, main: main, intsOn: true, handlers: map[arch.Vector]arch.InterruptHandler{}}
	d.user = &userCore{d: d}
	if cfg.VSpace != 0 {
		d.vs = cfg.VSpace
	} else {
		d.vs = k.nextVS
		k.nextVS++
	}
	k.disps = append(k.disps, d)
	if k.byDCB == nil {
		k.byDCB = map[arch.Addr]*Dispatcher{}
	}
	k.byDCB[dcb] = d

	// DCB.
	k.st(dcb, dcbDisp, uint64(frame))
	k.st(dcb, dcbCSpace, uint64(cnode))
	k.st(dcb, dcbCSpaceBits, uint64(k.opts.CNodeSlots))
	k.st(dcb, dcbVSpace, d.vs)
	k.st(dcb, dcbID, uint64(d.id))
	k.st(dcb, dcbAlive, 1)
	k.st(dcb, dcbType, uint64(cfg.Type))
	k.st(dcb, dcbWeight, cfg.Weight)
	k.st(dcb, dcbWCET, uint64(cfg.WCET))
	k.st(dcb, dcbPeriod, uint64(cfg.Period))
	k.st(dcb, dcbDeadline, uint64(cfg.Deadline))
	k.st(dcb, dcbRelease, uint64(k.c.Now()+cfg.Release))
	// Frame: entry points, the one thread on the run queue, the waitset.
	k.st(frame, fEntryRun, entryRun)
	k.st(frame, fEntryLRPC, entryLRPC)
	tcb := uint64(word(frame, tNext))
	k.st(frame, gRunq, tcb)
	k.st(frame, tNext, tcb)
	k.st(frame, tPrev, tcb)
	k.st(frame, tState, thRunnable)
	k.st(frame, gWaitset, uint64(word(frame, wsPending)))
	k.st(frame, fHaswork, 1)
	// CSpace: slot 0 the dispatcher cap, slot 1 the root CNode itself.
	k.st(cnode, cteType, capDispatcher)
	k.st(cnode, cteObj, uint64(dcb))
	k.st(word(cnode, cteWords), cteType, capCNode)
	k.st(word(cnode, cteWords), cteObj, uint64(cnode))
	d.slots = 2

	k.live++
	k.makeRunnable(d)
	return d, nil
}

// Name, ID, DCB, Frame, CNode and VSpace describe the dispatcher.
func (d *Dispatcher) Name() string       { return d.name }
func (d *Dispatcher) ID() int            { return d.id }
func (d *Dispatcher) DCB() arch.Addr     { return d.dcb }
func (d *Dispatcher) Frame() arch.Addr   { return d.frame }
func (d *Dispatcher) CNode() arch.Addr   { return d.cnode }
func (d *Dispatcher) VSpace() uint64     { return d.vs }
func (d *Dispatcher) Driver() *CPUDriver { return d.k }
func (d *Dispatcher) Alive() bool        { return !d.dead }

func (d *Dispatcher) String() string { return fmt.Sprintf("%s#%d", d.name, d.id) }

// Core returns the arch.Core the dispatcher's code must use: user mode on
// the CPU driver's core. Kernel-mediated operations (SendIPI, interrupt
// handlers, Halt, Syscall) go through the CPU driver: Halt blocks the
// dispatcher's thread until a notification, letting others run.
func (d *Dispatcher) Core() arch.Core { return d.user }

// resume runs the dispatcher's coroutine until its next request; false
// means its program has returned.
func (d *Dispatcher) resume() bool {
	if d.next == nil {
		d.next, d.stop = iter.Pull(func(yield func(struct{}) bool) {
			d.yield = yield
			defer func() {
				if r := recover(); r != nil {
					if r == errAbort {
						return
					}
					d.fail = &failure{val: r, stack: debug.Stack()}
				}
			}()
			d.entry()
		})
	}
	d.active = true
	_, ok := d.next()
	d.active = false
	if d.fail != nil {
		f := d.fail
		d.fail = nil
		panic(fmt.Sprintf("kernel: dispatcher %v panicked: %v\n%s", d, f.val, f.stack))
	}
	return ok
}

// entry is where the dispatcher starts: its first run upcall, then its
// thread's main function; returning exits the dispatcher.
func (d *Dispatcher) entry() {
	d.runUpcalls()
	d.main(d)
	d.threadExit()
}

func (d *Dispatcher) toKernel() {
	if !d.yield(struct{}{}) {
		panic(errAbort)
	}
}

func (d *Dispatcher) newReq(kind reqKind) *request {
	if d.depth >= maxDepth {
		panic(fmt.Sprintf("kernel: dispatcher %v: request nesting too deep", d))
	}
	r := &d.pool[d.depth]
	d.depth++
	*r = request{kind: kind}
	return r
}

func (d *Dispatcher) done() { d.depth-- }

// trap hands r to the kernel and returns once the kernel has completed it,
// running any upcalls the kernel makes into this dispatcher meanwhile (the
// kernel may switch away and come back through the run or lrpc entry). A
// request the kernel could not complete before switching away (a spin cut
// short by a reschedule) is issued again.
func (d *Dispatcher) trap(r *request) {
	for {
		r.done = false
		d.req = r
		d.toKernel()
		d.req = nil
		if d.upcall.kind != upNone {
			d.runUpcalls()
		}
		if r.done {
			return
		}
	}
}

// runUpcalls runs the user-level upcall handlers (disp_lrpc, disp_run) for
// pending upcalls until the thread scheduler resumes the thread. If there
// is no runnable thread it yields the dispatcher (disp_yield_disabled) and
// waits for the next upcall.
func (d *Dispatcher) runUpcalls() {
	for d.upcall.kind != upNone {
		u := d.upcall
		d.upcall = upcall{}
		if u.kind == upLRPC {
			d.dispLRPC(u)
		}
		if d.dispRun() {
			return
		}
		r := d.newReq(sysYield)
		d.req = r
		d.toKernel()
		d.req = nil
		d.done()
		if d.upcall.kind == upNone {
			panic(fmt.Sprintf("kernel: dispatcher %v resumed after yielding with no upcall", d))
		}
	}
}

// --- User-level dispatcher code (lib/barrelfish). It runs in the
// dispatcher's coroutine; every memory access goes through userCore.

// dispLRPC is disp_lrpc: store the header and the four words the kernel
// passed in registers at the reserved buffer position, hint the endpoint,
// then run disp_run.
func (d *Dispatcher) dispLRPC(up upcall) {
	u, f := d.user, d.frame
	u.Compute(instrDispLRPC)
	u.st(up.ep, epBuf+int(up.pos), LRPCMsgLength)
	for i, w := range up.words {
		u.st(up.ep, epBuf+int((up.pos+1+uint64(i))%LMPBufWords), w)
	}
	u.st(f, fLMPHint, uint64(up.ep))
}

// dispRun is disp_run: bookkeeping, retry pending sends, deferred events,
// poll LMP endpoints if the kernel delivered anything, take notifications,
// then the thread scheduler. It reports whether a thread was resumed.
func (d *Dispatcher) dispRun() bool {
	u, f := d.user, d.frame
	u.Compute(instrDispRun)
	u.st(f, gTimeslice, u.ld(f, gTimeslice)+1)
	u.ld(f, gSendRetry)
	u.ld(f, gDeferred)
	delivered := u.ld(f, fLMPDelivered)
	if delivered != u.ld(f, fLMPSeen) {
		d.pollEndpoints()
		u.st(f, fLMPSeen, delivered)
	}
	if u.ld(f, gNotify) != 0 {
		u.st(f, gNotify, 0)
		if u.ld(f, tState) == thBlocked && u.ld(f, tWaitOn) == waitNotify {
			d.threadUnblock()
		}
	}
	return d.threadRunDisabled()
}

// pollEndpoints is lmp_endpoints_poll_disabled: check the hinted endpoint,
// or every endpoint if there is no hint, and trigger the channels
// registered for receive whose endpoint got new messages.
func (d *Dispatcher) pollEndpoints() {
	u, f := d.user, d.frame
	check := func(ep arch.Addr) {
		u.Compute(instrPollEndpoint)
		del := u.ld(ep, epDelivered)
		if del != u.ld(ep, epSeen) {
			u.st(ep, epSeen, del)
			ch := ep - chEndpoint*arch.WordSize
			if u.ld(ch, chState) == csRegistered {
				d.trigger(ch)
			}
		}
	}
	if hint := arch.Addr(u.ld(f, fLMPHint)); hint != 0 {
		u.st(f, fLMPHint, 0)
		check(hint)
		return
	}
	for ep := arch.Addr(u.ld(f, gPollList)); ep != 0; ep = arch.Addr(u.ld(ep, epNext)) {
		check(ep)
	}
}

// trigger is waitset_chan_trigger_disabled: queue the channel as pending on
// the waitset and wake a thread waiting on it.
func (d *Dispatcher) trigger(ch arch.Addr) {
	u, f := d.user, d.frame
	u.Compute(instrWaitset)
	u.st(ch, chState, csPending)
	head := u.ld(f, wsPending)
	u.st(ch, chNext, head)
	u.st(ch, chPrev, 0)
	if head != 0 {
		u.st(arch.Addr(head), chPrev, uint64(ch))
	}
	u.st(f, wsPending, uint64(ch))
	if u.ld(f, wsWaiting) != 0 {
		u.st(f, wsWaiting, 0)
		d.threadUnblock()
	}
}

// threadUnblock puts the (only) thread back on the run queue.
func (d *Dispatcher) threadUnblock() {
	u, f := d.user, d.frame
	tcb := uint64(word(f, tNext))
	u.st(f, tState, thRunnable)
	u.st(f, tWaitOn, waitNone)
	u.ld(f, gRunq)
	u.st(f, tNext, tcb)
	u.st(f, tPrev, tcb)
	u.st(f, gRunq, tcb)
}

// threadRunDisabled is thread_run_disabled: resume the current thread from
// the enabled save area, or the head of the run queue from its TCB, or
// report that there is nothing to run.
func (d *Dispatcher) threadRunDisabled() bool {
	u, f := d.user, d.frame
	u.Compute(instrThreadSched)
	if cur := arch.Addr(u.ld(f, gCurrent)); cur != 0 {
		u.ld(cur, 0) // current->next: the same thread
		for i := 0; i < fullRegWords; i++ {
			u.ld(f, fEnabledArea+i)
		}
		u.st(f, fDisabled, 0)
		return true
	}
	if rq := u.ld(f, gRunq); rq != 0 {
		u.st(f, gCurrent, rq)
		u.st(f, tState, thRunnable)
		for i := 0; i < threadRegWords; i++ {
			u.ld(f, tRegs+i)
		}
		u.st(f, fDisabled, 0)
		return true
	}
	u.st(f, fHaswork, 0)
	return false
}

// threadBlock is thread_block_disabled for the dispatcher's one thread:
// mark it blocked, take it off the run queue, save its registers in its
// TCB, and yield the dispatcher. It returns when the thread is resumed.
func (d *Dispatcher) threadBlock(on uint64) {
	u, f := d.user, d.frame
	u.Compute(instrThreadBlock)
	u.st(f, fDisabled, 1)
	u.st(f, tState, thBlocked)
	u.st(f, tWaitOn, on)
	if on == waitLMP {
		u.st(f, wsWaiting, uint64(word(f, tNext)))
	}
	u.ld(f, gRunq)
	u.st(f, gRunq, 0)
	u.st(f, gCurrent, 0)
	d.regs++
	for i := 0; i < threadRegWords; i++ {
		u.st(f, tRegs+i, d.regs+uint64(i))
	}
	u.st(f, fHaswork, 0)
	r := d.newReq(sysYield)
	d.trap(r)
	d.done()
}

// threadExit is thread_exit for the last thread.
func (d *Dispatcher) threadExit() {
	u, f := d.user, d.frame
	u.st(f, fDisabled, 1)
	u.st(f, tState, 0)
	u.st(f, gRunq, 0)
	u.st(f, gCurrent, 0)
}

// Yield gives up the core: thread_yield_dispatcher saves the thread in the
// enabled area and calls sys_yield; the dispatcher stays runnable and is
// resumed through its run upcall.
func (d *Dispatcher) Yield() {
	d.mustRun()
	u, f := d.user, d.frame
	u.st(f, fDisabled, 1)
	u.st(f, fHaswork, 1)
	d.regs++
	for i := 0; i < lrpcSaveWords; i++ {
		u.st(f, fEnabledArea+i, d.regs+uint64(i))
	}
	r := d.newReq(sysYield)
	d.trap(r)
	d.done()
}

func (d *Dispatcher) mustRun() {
	if !d.active || d.k.cur != d {
		panic(fmt.Sprintf("kernel: %v used from outside its own code", d))
	}
}

func (d *Dispatcher) hasPending() bool {
	return d.pending[0]|d.pending[1]|d.pending[2]|d.pending[3] != 0
}

// runHandlers runs the user handlers of pending notifications, lowest
// vector first, with notifications disabled meanwhile.
func (d *Dispatcher) runHandlers() {
	for d.intsOn && d.hasPending() {
		v := -1
		for i, w := range d.pending {
			if w != 0 {
				v = i*64 + bits.TrailingZeros64(w)
				break
			}
		}
		d.pending[v/64] &^= 1 << (v % 64)
		if h := d.handlers[arch.Vector(v)]; h != nil {
			d.intsOn = false
			h(d.user, arch.Vector(v), d.pendFrom[v])
			d.intsOn = true
		}
	}
}

// userCore is the dispatcher's view of the core: arch.Core in user mode.
type userCore struct{ d *Dispatcher }

var _ arch.Core = (*userCore)(nil)

func (u *userCore) ld(base arch.Addr, i int) uint64    { return u.Load(word(base, i)) }
func (u *userCore) st(base arch.Addr, i int, v uint64) { u.Store(word(base, i), v) }

func (u *userCore) ID() arch.CoreID { return u.d.k.c.ID() }

func (u *userCore) simple(kind reqKind, a arch.Addr, v, w uint64) *request {
	d := u.d
	d.mustRun()
	r := d.newReq(kind)
	r.a, r.v, r.w = a, v, w
	d.trap(r)
	d.done()
	return r // valid until the next request
}

func (u *userCore) Load(a arch.Addr) uint64               { return u.simple(opLoad, a, 0, 0).res }
func (u *userCore) Store(a arch.Addr, v uint64)           { u.simple(opStore, a, v, 0) }
func (u *userCore) CAS(a arch.Addr, old, new uint64) bool { return u.simple(opCAS, a, old, new).ok }
func (u *userCore) FetchAdd(a arch.Addr, v uint64) uint64 {
	return u.simple(opFetchAdd, a, v, 0).res
}
func (u *userCore) Swap(a arch.Addr, v uint64) uint64 { return u.simple(opSwap, a, v, 0).res }
func (u *userCore) Fence()                            { u.simple(opFence, 0, 0, 0) }
func (u *userCore) Prefetch(a arch.Addr)              { u.simple(opPrefetch, a, 0, 0) }
func (u *userCore) Flush(a arch.Addr)                 { u.simple(opFlush, a, 0, 0) }
func (u *userCore) Invalidate(a arch.Addr)            { u.simple(opInvalidate, a, 0, 0) }
func (u *userCore) Compute(n int64) {
	if n > 0 {
		u.simple(opCompute, 0, uint64(n), 0)
	}
}
func (u *userCore) Now() arch.Cycles     { return arch.Cycles(u.simple(opNow, 0, 0, 0).res) }
func (u *userCore) Tag(op uint32) uint32 { return uint32(u.simple(opTag, 0, uint64(op), 0).res) }

func (u *userCore) SpinUntil(a arch.Addr, cond func(uint64) bool, max arch.Cycles) (uint64, bool) {
	d := u.d
	d.mustRun()
	r := d.newReq(opSpin)
	r.a, r.cond, r.max = a, cond, max
	d.trap(r)
	d.done()
	return r.res, r.ok
}

// SendIPI is a system call (user code cannot touch the APIC).
func (u *userCore) SendIPI(to arch.CoreID, v arch.Vector) {
	d := u.d
	d.mustRun()
	r := d.newReq(sysSendIPI)
	r.to, r.vec = to, v
	d.trap(r)
	d.done()
}

// SetInterruptHandler registers the dispatcher with the CPU driver for
// vector v (a system call, as IRQ routing is kernel state): interrupts of v
// become notifications for this dispatcher, and h runs in its context.
func (u *userCore) SetInterruptHandler(v arch.Vector, h arch.InterruptHandler) {
	d := u.d
	d.mustRun()
	d.handlers[v] = h
	if h == nil {
		return
	}
	r := d.newReq(sysIRQRegister)
	r.vec = v
	d.trap(r)
	d.done()
}

// SetInterrupts enables or disables the delivery of notifications to this
// dispatcher's handlers (not the core's interrupts).
func (u *userCore) SetInterrupts(enabled bool) bool {
	d := u.d
	d.mustRun()
	was := d.intsOn
	d.intsOn = enabled
	if enabled && !was {
		d.runHandlers()
	}
	return was
}

// Halt blocks the dispatcher's thread until a notification arrives (the
// dispatcher yields and other dispatchers run), then runs the handlers.
func (u *userCore) Halt() {
	d := u.d
	d.mustRun()
	for {
		if d.hasPending() {
			if d.intsOn {
				d.runHandlers()
			}
			return
		}
		if !d.intsOn {
			panic(fmt.Sprintf("kernel: %v halted with notifications disabled and none pending", d))
		}
		d.threadBlock(waitNotify)
	}
}

func (u *userCore) Syscall()            { u.simple(sysNull, 0, 0, 0) }
func (u *userCore) SwitchAddressSpace() { u.simple(sysSwitchAS, 0, 0, 0) }
func (u *userCore) InvalidateTLBEntry(p arch.Addr) {
	u.simple(sysInvlpg, p, 0, 0)
}
