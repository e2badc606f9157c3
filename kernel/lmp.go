package kernel

import (
	"errors"
	"fmt"

	"mksim/arch"
)

// SysErr is a system call's error code.
type SysErr uint8

const (
	ErrSlotInvalid    SysErr = iota + 1 // SYS_ERR_LRPC_SLOT_INVALID / CAP lookup
	ErrNotEndpoint                      // SYS_ERR_LRPC_NOT_ENDPOINT
	ErrLMPBufOverflow                   // SYS_ERR_LMP_BUF_OVERFLOW
	ErrTargetDead                       // the listener has exited
	ErrSelf                             // LRPC to the calling dispatcher
)

var sysErrNames = [...]string{"", "slot invalid", "not an endpoint", "LMP buffer overflow",
	"target dead", "LRPC to self"}

func (e SysErr) Error() string {
	if int(e) < len(sysErrNames) && e != 0 {
		return "kernel: " + sysErrNames[e]
	}
	return fmt.Sprintf("kernel: SysErr(%d)", uint8(e))
}

// SendFlags select LMP send behaviour.
type SendFlags uint8

const (
	// FlagSync switches directly to the receiver after a successful send
	// (LMP_FLAG_SYNC).
	FlagSync SendFlags = 1 << iota
	// FlagYield yields to the receiver if its buffer is full
	// (LMP_FLAG_YIELD).
	FlagYield
)

func (f SendFlags) String() string {
	switch f {
	case 0:
		return "none"
	case FlagSync:
		return "sync"
	case FlagYield:
		return "yield"
	case FlagSync | FlagYield:
		return "sync|yield"
	}
	return fmt.Sprintf("SendFlags(%#x)", uint8(f))
}

// LMPMsg is a received LMP message.
type LMPMsg struct {
	Len   int
	Words [LMPMsgLength]uint64
}

func (m LMPMsg) String() string { return fmt.Sprintf("lmp%v", m.Words[:m.Len]) }

// LMPChan is one end of an LMP channel between two dispatchers of one core:
// a receive endpoint in its dispatcher's frame, and an EndPoint capability
// to the peer's endpoint in its dispatcher's cspace. Its methods must be
// called from its dispatcher's code.
type LMPChan struct {
	d    *Dispatcher
	peer *LMPChan
	base arch.Addr // struct lmp_chan in the dispatcher's frame
	ep   arch.Addr // its endpoint
	cptr uint64    // slot of the EndPoint cap to the peer
}

// Dispatcher returns the channel end's dispatcher.
func (ch *LMPChan) Dispatcher() *Dispatcher { return ch.d }

// Endpoint returns the address of the receive endpoint.
func (ch *LMPChan) Endpoint() arch.Addr { return ch.ep }

// CPtr returns the cspace slot of the EndPoint cap to the peer.
func (ch *LMPChan) CPtr() uint64 { return ch.cptr }

// NewLMPChannel connects two dispatchers of this core: it creates an
// endpoint in each one's frame, retypes/mints an EndPoint capability to it
// into the other's cspace, and registers the endpoints for polling. Call it
// from the core's program before Run.
func (k *CPUDriver) NewLMPChannel(a, b *Dispatcher) (*LMPChan, *LMPChan, error) {
	if k.running {
		return nil, nil, errors.New("kernel: NewLMPChannel after Run")
	}
	if a == b || a.k != k || b.k != k {
		return nil, nil, errors.New("kernel: LMP channel needs two dispatchers of this core")
	}
	ends := [2]*LMPChan{}
	for i, d := range []*Dispatcher{a, b} {
		if d.chans >= maxChans || d.slots >= k.opts.CNodeSlots {
			return nil, nil, fmt.Errorf("kernel: dispatcher %v has no room for another channel", d)
		}
		base := word(d.frame, fChans+d.chans*chanWords)
		d.chans++
		ep := word(base, chEndpoint)
		k.st(base, chEP, uint64(ep))
		k.st(base, chFn, uint64(entryRun)+0x200)
		k.st(base, chArg, uint64(base))
		k.st(base, chConn, 1)
		k.st(ep, epNext, k.ld(d.frame, gPollList))
		k.st(d.frame, gPollList, uint64(ep))
		ends[i] = &LMPChan{d: d, base: base, ep: ep}
	}
	ends[0].peer, ends[1].peer = ends[1], ends[0]
	for _, e := range ends {
		d, p := e.d, e.peer
		slot := d.slots
		d.slots++
		cte := word(d.cnode, slot*cteWords)
		k.st(cte, cteType, capEndPoint)
		k.st(cte, cteObj, uint64(p.d.dcb))
		k.st(cte, cteEPOffset, uint64(p.ep-p.d.frame))
		k.st(cte, cteEPBufLen, LMPBufWords)
		e.cptr = uint64(slot)
		k.st(e.base, chRemote, e.cptr)
	}
	return ends[0], ends[1], nil
}

// LRPC sends four words to the peer over the LRPC fast path: the kernel
// saves the caller, finds the endpoint through the caller's cspace, reserves
// space in the peer's endpoint buffer, switches to the peer and upcalls its
// lrpc entry with the words in registers. The caller continues when it is
// next dispatched (typically when the peer answers). If the peer is
// disabled, the message goes by the ordinary LMP path and the caller
// continues at once.
func (ch *LMPChan) LRPC(w [LRPCMsgLength]uint64) error {
	d := ch.d
	d.mustRun()
	u := d.user
	u.ld(ch.base, chConn)
	cptr := u.ld(ch.base, chRemote)
	u.Compute(instrLRPCStub)
	r := d.newReq(sysLRPC)
	r.cptr = cptr
	copy(r.words[:], w[:])
	r.n = LRPCMsgLength
	d.trap(r)
	err := r.err
	d.done()
	return err
}

// Send sends up to LMPMsgLength words by LMP: the kernel copies them into
// the peer's endpoint buffer and makes it runnable.
func (ch *LMPChan) Send(words []uint64, flags SendFlags) error {
	d := ch.d
	d.mustRun()
	if len(words) > LMPMsgLength {
		return fmt.Errorf("kernel: LMP message of %d words (max %d)", len(words), LMPMsgLength)
	}
	u := d.user
	u.ld(ch.base, chConn)
	cptr := u.ld(ch.base, chRemote)
	u.Compute(instrLMPStub)
	r := d.newReq(sysSend)
	r.cptr, r.flags, r.n = cptr, flags, len(words)
	copy(r.words[:], words)
	d.trap(r)
	err := r.err
	d.done()
	return err
}

// TryRecv takes the next message from the endpoint, if any.
func (ch *LMPChan) TryRecv() (LMPMsg, bool) {
	ch.d.mustRun()
	return ch.recvNow()
}

// Recv blocks the dispatcher's thread until a message arrives on this
// channel: it registers the channel on the waitset (triggering it at once if
// a message is already there) and dispatches waitset events, blocking the
// thread while there are none; the event's handler is lmp_chan_recv.
func (ch *LMPChan) Recv() LMPMsg {
	d := ch.d
	d.mustRun()
	u, f := d.user, d.frame
	u.st(f, fDisabled, 1)
	u.Compute(instrWaitset)
	if u.ld(ch.base, chState) == csIdle {
		ep := ch.ep
		if u.ld(ep, epDelivered) != u.ld(ep, epConsumed) {
			d.trigger(ch.base)
		} else {
			u.st(ch.base, chState, csRegistered)
		}
	}
	u.st(f, fDisabled, 0)
	for {
		u.st(f, fDisabled, 1)
		p := arch.Addr(u.ld(f, wsPending))
		if p == 0 {
			d.threadBlock(waitLMP)
			continue
		}
		nx := u.ld(p, chNext)
		u.st(f, wsPending, nx)
		if nx != 0 {
			u.st(arch.Addr(nx), chPrev, 0)
		}
		u.st(p, chState, csIdle)
		u.st(f, fDisabled, 0)
		u.ld(p, chFn)
		u.ld(p, chArg)
		u.Compute(instrWaitset)
		if p != ch.base {
			panic(fmt.Sprintf("kernel: %v: event for channel %#x while receiving on %#x", d, uint64(p), uint64(ch.base)))
		}
		if m, ok := ch.recvNow(); ok {
			return m
		}
	}
}

// recvNow is lmp_endpoint_recv.
func (ch *LMPChan) recvNow() (LMPMsg, bool) {
	u, ep := ch.d.user, ch.ep
	del, cons := u.ld(ep, epDelivered), u.ld(ep, epConsumed)
	if del == cons {
		return LMPMsg{}, false
	}
	u.Compute(instrLMPRecv)
	n := int(u.ld(ep, epBuf+int(cons)) & 0xff)
	var m LMPMsg
	m.Len = n
	for i := 0; i < n; i++ {
		m.Words[i] = u.ld(ep, epBuf+int((cons+1+uint64(i))%LMPBufWords))
	}
	u.st(ep, epConsumed, (cons+1+uint64(n))%LMPBufWords)
	return m, true
}

// --- Kernel side.

// lookupEP resolves cptr in d's root CNode to an EndPoint capability.
func (k *CPUDriver) lookupEP(d *Dispatcher, cptr uint64) (t *Dispatcher, ep arch.Addr, buflen uint64, err error) {
	k.c.Compute(instrCapLookup)
	cn := arch.Addr(k.ld(d.dcb, dcbCSpace))
	if cptr >= k.ld(d.dcb, dcbCSpaceBits) {
		return nil, 0, 0, ErrSlotInvalid
	}
	cte := word(cn, int(cptr)*cteWords)
	if k.ld(cte, cteType) != capEndPoint {
		return nil, 0, 0, ErrNotEndpoint
	}
	tdcb := arch.Addr(k.ld(cte, cteObj))
	off := k.ld(cte, cteEPOffset)
	buflen = k.ld(cte, cteEPBufLen)
	t = k.byDCB[tdcb]
	if t == nil {
		k.failf("EndPoint cap names unknown DCB %#x", uint64(tdcb))
	}
	frame := arch.Addr(k.ld(tdcb, dcbDisp))
	if k.ld(tdcb, dcbAlive) == 0 {
		return nil, 0, 0, ErrTargetDead
	}
	if t == d {
		return nil, 0, 0, ErrSelf
	}
	return t, frame + arch.Addr(off), buflen, nil
}

// lrpc is the SYSCALL_LRPC fast path of entry.S.
func (k *CPUDriver) lrpc(d *Dispatcher, r *request) bool {
	c := k.c
	c.Compute(instrLRPCFast)
	k.ld(k.kcb, kcbCurrent)
	d.regs++
	for i := 0; i < lrpcSaveWords; i++ {
		k.st(d.frame, fEnabledArea+i, d.regs+uint64(i))
	}
	k.st(d.dcb, dcbDisabled, 0)
	t, ep, buflen, err := k.lookupEP(d, r.cptr)
	if err != nil {
		r.err = err
		return false
	}
	disabled := k.ld(t.frame, fDisabled) != 0
	del, cons := k.ld(ep, epDelivered), k.ld(ep, epConsumed)
	free := (cons + buflen - del - 1) % buflen
	if disabled || free < LRPCMsgLength+1 {
		k.stats.LRPCSlow++
		if err := k.deliver(t, ep, buflen, r.words[:LRPCMsgLength]); err != nil {
			r.err = err
		}
		return false
	}
	k.stats.LRPCFast++
	k.st(ep, epDelivered, (del+LRPCMsgLength+1)%buflen)
	k.makeRunnable(d) // the caller has work: keep it schedulable
	k.switchTo(t)
	k.st(t.frame, fLMPDelivered, k.ld(t.frame, fLMPDelivered)+LRPCMsgLength+1)
	u := upcall{kind: upLRPC, ep: ep, pos: del}
	copy(u.words[:], r.words[:LRPCMsgLength])
	k.upcall(t, u)
	return true
}

// lmpSend is an LMP send invocation on an EndPoint capability.
func (k *CPUDriver) lmpSend(d *Dispatcher, r *request) bool {
	k.stats.LMPSends++
	t, ep, buflen, err := k.lookupEP(d, r.cptr)
	if err != nil {
		r.err = err
		return false
	}
	err = k.deliver(t, ep, buflen, r.words[:r.n])
	if err != nil {
		r.err = err
		if r.flags&FlagYield == 0 {
			return false
		}
	} else if r.flags&FlagSync == 0 {
		return false
	}
	// Switch directly to the receiver; the caller resumes through its
	// run upcall later.
	d.regs++
	for i := 0; i < lrpcSaveWords; i++ {
		k.st(d.frame, fEnabledArea+i, d.regs+uint64(i))
	}
	k.st(d.dcb, dcbDisabled, 0)
	k.makeRunnable(d)
	k.makeRunnable(t)
	k.dispatch(t)
	return true
}

// deliver is lmp_deliver_payload: copy a header word and the payload into
// the receiver's endpoint buffer, advance delivered, count the words in the
// receiver's frame, hint the endpoint, and make the receiver runnable.
func (k *CPUDriver) deliver(t *Dispatcher, ep arch.Addr, buflen uint64, words []uint64) error {
	k.c.Compute(instrLMPDeliver)
	del, cons := k.ld(ep, epDelivered), k.ld(ep, epConsumed)
	need := uint64(len(words)) + 1
	if (cons+buflen-del-1)%buflen < need {
		return ErrLMPBufOverflow
	}
	k.st(ep, epBuf+int(del), uint64(len(words)))
	for i, w := range words {
		k.st(ep, epBuf+int((del+1+uint64(i))%buflen), w)
	}
	k.st(ep, epDelivered, (del+need)%buflen)
	k.st(t.frame, fLMPDelivered, k.ld(t.frame, fLMPDelivered)+need)
	k.st(t.frame, fLMPHint, uint64(ep))
	k.makeRunnable(t)
	return nil
}

// LRPCBench runs Table 1's experiment on this CPU driver: two dispatchers
// A and B (in separate address spaces unless sameVSpace, i.e. two domains)
// ping-pong n times over LRPC. Each side stamps the words it sends with
// Now(); the receiver's user code subtracts that from Now() when Recv
// returns. It returns the one-way latencies A→B and B→A, in cycles, user
// program to user program. It calls Run, so it must be the only use of the
// driver.
func (k *CPUDriver) LRPCBench(n int, sameVSpace bool) (aToB, bToA []arch.Cycles, err error) {
	var ca, cb *LMPChan
	a, err := k.NewDispatcher(DispatcherConfig{Name: "lrpc-a"}, func(d *Dispatcher) {
		c := d.Core()
		for i := 0; i < n; i++ {
			if err := ca.LRPC([4]uint64{uint64(c.Now()), uint64(i)}); err != nil {
				panic(err)
			}
			m := ca.Recv()
			bToA = append(bToA, c.Now()-arch.Cycles(m.Words[0]))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	vs := uint64(0)
	if sameVSpace {
		vs = a.VSpace()
	}
	b, err := k.NewDispatcher(DispatcherConfig{Name: "lrpc-b", VSpace: vs}, func(d *Dispatcher) {
		c := d.Core()
		for i := 0; i < n; i++ {
			m := cb.Recv()
			aToB = append(aToB, c.Now()-arch.Cycles(m.Words[0]))
			if err := cb.LRPC([4]uint64{uint64(c.Now()), m.Words[1]}); err != nil {
				panic(err)
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if ca, cb, err = k.NewLMPChannel(a, b); err != nil {
		return nil, nil, err
	}
	err = k.Run()
	return aToB, bToA, err
}
