package urpc

import (
	"fmt"

	"mksim/arch"
)

// Words of a side's private state line (flounder's binding state plus
// ump_chan_state). Only the owning core ever touches it. The ring position
// and epoch are derived from the free-running 16-bit counters (every message
// is one slot, so pos = count mod 32 and the epoch flips every 32), which is
// why zeroed memory is a valid initial state.
const (
	stSent     = iota // messages sent (incl. acks) = next tx slot; flounder sent_id
	stAcked           // messages of ours the peer has consumed; ack_id
	stRecv            // messages received = next rx slot; seq_id
	stLastAck         // stRecv value last carried to the peer; last_ack
	stWaitGen         // generation of this side's last blocking episode
	stNotified        // peer flag value this side last sent an IPI for
)

// Endpoint is one side of a channel, used only by its own core. It holds
// no mutable Go state beyond addresses: everything the real code keeps in
// memory (binding and ring state) is in the side's state line.
type Endpoint struct {
	ch             *Channel
	side           Side
	core, peerCore arch.CoreID
	tx, rx         arch.Addr // ring this side writes / reads
	myFlag         arch.Addr // notify line this side writes, the peer reads
	peerFlag       arch.Addr
	state          arch.Addr
	opts           Options
	waiter         *Waiter
}

// Side reports which end this is.
func (ep *Endpoint) Side() Side { return ep.side }

// Core is the core that uses this endpoint.
func (ep *Endpoint) Core() arch.CoreID { return ep.core }

// PeerCore is the core at the other end.
func (ep *Endpoint) PeerCore() arch.CoreID { return ep.peerCore }

// Channel returns the channel this endpoint belongs to.
func (ep *Endpoint) Channel() *Channel { return ep.ch }

// Options returns the channel's options.
func (ep *Endpoint) Options() Options { return ep.opts }

// TxSlot and RxSlot return the address of slot i of the ring this side
// writes or reads.
func (ep *Endpoint) TxSlot(i int) arch.Addr { return ep.tx + arch.Addr(i%RingSlots*SlotBytes) }
func (ep *Endpoint) RxSlot(i int) arch.Addr { return ep.rx + arch.Addr(i%RingSlots*SlotBytes) }

// StateLine is this side's private state line; FlagLine is the notify line
// it writes (and its peer reads).
func (ep *Endpoint) StateLine() arch.Addr { return ep.state }
func (ep *Endpoint) FlagLine() arch.Addr  { return ep.myFlag }

// SetWaiter makes blocking receives on this endpoint wait on w. Endpoints
// of one core that block should share one Waiter per vector (a core has one
// handler per vector). Without one, the first block creates one.
func (ep *Endpoint) SetWaiter(w *Waiter) { ep.waiter = w }

func (ep *Endpoint) st(i int) arch.Addr { return ep.state + arch.Addr(i*arch.WordSize) }

func (ep *Endpoint) mine(c arch.Core) {
	if c.ID() != ep.core {
		panic(fmt.Sprintf("urpc: %v endpoint %v of %v used from %v", ep.ch, ep.side, ep.core, c.ID()))
	}
}

// TrySend sends m if the window has room and reports whether it did. The
// payload words are stored first and the header word last: that one store
// publishes the message (x86-TSO keeps the stores in order).
func (ep *Endpoint) TrySend(c arch.Core, m Msg) bool {
	ep.mine(c)
	if m.Type == TypeAck || m.Type > MaxType {
		panic(fmt.Sprintf("urpc: cannot send reserved or out-of-range type %v", m.Type))
	}
	return ep.send(c, m.Type, &m.Words)
}

// Send sends m, waiting for credit if the peer has not yet consumed a
// full window of our messages. While it waits it consumes pure acks at the
// head of its receive ring and reads the acks carried by messages behind
// them, but delivers none: two sides that each have a full window of
// unreceived messages and both sit in Send deadlock (flounder's sends are
// asynchronous; use TrySend to interleave sends and receives).
func (ep *Endpoint) Send(c arch.Core, m Msg) {
	start := c.Now()
	for !ep.TrySend(c, m) {
		addr, exp, ok := ep.collectAcks(c)
		if ok {
			continue
		}
		if ep.poll(c, addr, exp, &start) {
			continue
		}
		ep.block(c, addr, exp)
		start = c.Now()
	}
}

func (ep *Endpoint) send(c arch.Core, t MsgType, words *[PayloadWords]uint64) bool {
	sent := uint16(c.Load(ep.st(stSent)))
	acked := uint16(c.Load(ep.st(stAcked)))
	if sent-acked >= RingSlots {
		if _, _, ok := ep.collectAcks(c); !ok {
			return false
		}
	}
	recv := uint16(c.Load(ep.st(stRecv)))
	c.Compute(SendInstructions)
	slot := ep.TxSlot(int(sent))
	if words != nil { // a pure ack writes the header only
		for i, w := range words {
			c.Store(slot+arch.Addr(i*arch.WordSize), w)
		}
	}
	c.Store(slot+headerOffset, EncodeHeader(Header{Epoch: uint8(epochOf(sent)), Type: t, Ack: recv}))
	c.Store(ep.st(stLastAck), uint64(recv))
	c.Store(ep.st(stSent), uint64(sent+1))
	if ep.opts.Notify {
		ep.notifyPeer(c)
	}
	return true
}

// notifyPeer implements the sender's half of the wake-up protocol: after
// publishing, fence (so the header store is visible before the flag is
// read), read the peer's notify line, and send an IPI if the peer
// advertises a blocking episode not yet notified.
func (ep *Endpoint) notifyPeer(c arch.Core) {
	c.Fence()
	f := c.Load(ep.peerFlag)
	if f&1 == 0 {
		return
	}
	if c.Load(ep.st(stNotified)) == f {
		return
	}
	c.Store(ep.st(stNotified), f)
	c.SendIPI(ep.peerCore, ep.opts.Vector)
}

// collectAcks refreshes the credit from the receive ring: it consumes pure
// acks at its head and reads the ack field of valid messages behind them
// without consuming those. It returns the header address of the first slot
// not yet written by the peer (with the epoch it will carry) and whether a
// message can now be sent.
func (ep *Endpoint) collectAcks(c arch.Core) (arch.Addr, uint64, bool) {
	recv := uint16(c.Load(ep.st(stRecv)))
	acked := uint16(c.Load(ep.st(stAcked)))
	consumed, newAck := uint16(0), false
	var peek uint16
	for peek < RingSlots {
		n := recv + peek
		h := c.Load(ep.RxSlot(int(n)) + headerOffset)
		if h&1 != epochOf(n) {
			break
		}
		d := DecodeHeader(h)
		acked, newAck = d.Ack, true
		if peek == 0 && d.Type == TypeAck {
			recv++
			consumed++
			continue
		}
		peek++
	}
	if consumed > 0 {
		c.Store(ep.st(stRecv), uint64(recv))
	}
	if newAck {
		c.Store(ep.st(stAcked), uint64(acked))
	}
	n := recv + peek
	sent := uint16(c.Load(ep.st(stSent)))
	return ep.RxSlot(int(n)) + headerOffset, epochOf(n), sent-acked < RingSlots
}

// TryRecv returns the next message if one has arrived. It reads the header
// word of the next slot only; if its epoch matches, it reads the payload,
// records the piggy-backed ack and moves on. Pure acks are consumed and not
// returned. After consuming ForcedAckThreshold messages without having
// carried an ack back, it sends an explicit ack (if the window allows; else
// it retries on the next receive).
func (ep *Endpoint) TryRecv(c arch.Core) (Msg, bool) {
	ep.mine(c)
	for {
		recv := uint16(c.Load(ep.st(stRecv)))
		slot := ep.RxSlot(int(recv))
		h := c.Load(slot + headerOffset)
		if h&1 != epochOf(recv) {
			return Msg{}, false
		}
		d := DecodeHeader(h)
		c.Compute(RecvInstructions)
		var m Msg
		if d.Type != TypeAck {
			m.Type = d.Type
			for i := range m.Words {
				m.Words[i] = c.Load(slot + arch.Addr(i*arch.WordSize))
			}
		}
		for k := 1; k <= ep.opts.Prefetch; k++ {
			c.Prefetch(ep.RxSlot(int(recv) + k))
		}
		recv++
		c.Store(ep.st(stAcked), uint64(d.Ack))
		c.Store(ep.st(stRecv), uint64(recv))
		if recv-uint16(c.Load(ep.st(stLastAck))) >= ForcedAckThreshold {
			ep.send(c, TypeAck, nil)
		}
		if d.Type != TypeAck {
			return m, true
		}
	}
}

// Pending reports whether a message (possibly a pure ack) is waiting at the
// head of the receive ring, reading only its header word.
func (ep *Endpoint) Pending(c arch.Core) bool {
	recv := uint16(c.Load(ep.st(stRecv)))
	return c.Load(ep.RxSlot(int(recv))+headerOffset)&1 == epochOf(recv)
}

// Recv returns the next message. It polls the next slot's header word; on a
// channel with Notify it blocks after PollBudget cycles of polling and is
// woken by the sender's IPI. Without Notify it polls until a message comes.
func (ep *Endpoint) Recv(c arch.Core) Msg {
	start := c.Now()
	for {
		if m, ok := ep.TryRecv(c); ok {
			return m
		}
		recv := uint16(c.Load(ep.st(stRecv)))
		addr, exp := ep.RxSlot(int(recv))+headerOffset, epochOf(recv)
		if ep.poll(c, addr, exp, &start) {
			continue
		}
		ep.block(c, addr, exp)
		start = c.Now()
	}
}

// poll spins on the header word at addr until it carries epoch exp. With
// Notify it gives up when the poll budget counted from *start is spent and
// returns false; without, it spins until the message arrives.
func (ep *Endpoint) poll(c arch.Core, addr arch.Addr, exp uint64, start *arch.Cycles) bool {
	valid := func(v uint64) bool { return v&1 == exp }
	if !ep.opts.Notify {
		c.SpinUntil(addr, valid, 0)
		return true
	}
	left := *start + ep.opts.PollBudget - c.Now()
	if left <= 0 {
		return false
	}
	_, ok := c.SpinUntil(addr, valid, left)
	return ok
}

// block is the receiver's half of the wake-up protocol. It arms the
// waiter, advertises a new blocking episode in its notify line (waiting bit
// plus generation), fences, and re-reads the header it is waiting for: if
// the sender published in between, it withdraws and returns. Otherwise it
// halts until the waiter's IPI, then withdraws. Dekker's argument on the two
// fenced store-then-load sequences (sender: header, flag; receiver: flag,
// header) shows one side always sees the other, so a wake-up is never lost.
func (ep *Endpoint) block(c arch.Core, addr arch.Addr, exp uint64) {
	w := ep.waiter
	if w == nil {
		w = NewWaiter(c, ep.opts.Vector)
		ep.waiter = w
	}
	w.arm()
	gen := c.Load(ep.st(stWaitGen)) + 1
	c.Store(ep.st(stWaitGen), gen)
	c.Store(ep.myFlag, gen<<1|1)
	c.Fence()
	if c.Load(addr)&1 != exp {
		w.Wait(c)
	}
	c.Store(ep.myFlag, gen<<1)
}

// State is a side's protocol state, for tests and traces.
type State struct {
	Sent, Acked, Recv, LastAck uint16
	WaitGen                    uint64
	Waiting                    bool
}

func (s State) String() string {
	w := ""
	if s.Waiting {
		w = " waiting"
	}
	return fmt.Sprintf("sent=%d acked=%d recv=%d lastack=%d gen=%d%s", s.Sent, s.Acked, s.Recv, s.LastAck, s.WaitGen, w)
}

// State decodes this side's state using peek to read memory (a machine's
// back door, or a core's Load from the owning core).
func (ep *Endpoint) State(peek func(arch.Addr) uint64) State {
	return State{
		Sent:    uint16(peek(ep.st(stSent))),
		Acked:   uint16(peek(ep.st(stAcked))),
		Recv:    uint16(peek(ep.st(stRecv))),
		LastAck: uint16(peek(ep.st(stLastAck))),
		WaitGen: peek(ep.st(stWaitGen)),
		Waiting: peek(ep.myFlag)&1 != 0,
	}
}
