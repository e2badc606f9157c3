package urpc

import (
	"fmt"
	"strings"

	"mksim/arch"
)

// Layout constants (barrelfish.md §1.1).
const (
	SlotBytes    = arch.CacheLineSize // one message is one cache line
	SlotWords    = SlotBytes / arch.WordSize
	PayloadWords = SlotWords - 1 // 7; the 8th word is the header
	RingSlots    = 32            // DEFAULT_UMP_BUFLEN / 64
	RingBytes    = RingSlots * SlotBytes
	// FrameBytes is a channel's shared frame: two rings, then one notify
	// line per side.
	FrameBytes = 2*RingBytes + 2*arch.CacheLineSize

	headerOffset = PayloadWords * arch.WordSize // byte offset of the header word in a slot
	indexBits    = 16                           // UMP_INDEX_BITS: width of the ack field
	typeBits     = 15                           // FL_UMP_MSGTYPE_BITS
	// ForcedAckThreshold is max_recv_msgs-1: a receiver that has consumed
	// this many messages without acknowledging them sends an explicit ack.
	ForcedAckThreshold = RingSlots - 1
)

// DefaultPollBudget is how long Recv polls before blocking, in cycles
// (WAITSET_POLL_CYCLES_DEFAULT).
const DefaultPollBudget arch.Cycles = 2000

// Instructions of the send and receive code paths beyond their loads and
// stores, charged with Compute so the cost of the code itself is on the
// simulated core too. They are estimates of the R2011 code read line by
// line, one number for every machine, never fitted to a result: a send is
// flounder's tx stub (credit check, marshalling seven words, the call into
// ump_impl_get_next: slot address, epoch, wrap, control word, sequence
// counters) and a receive is ump_impl_poll/ump_impl_recv,
// flounder_stub_ump_control_process, the message-type demultiplexing switch,
// the forced-ack check and the call to the handler; about 40 each.
const (
	SendInstructions = 40
	RecvInstructions = 40
)

// DefaultVector is the interrupt vector of URPC notifications.
const DefaultVector arch.Vector = 0xf0

// MsgType is a message's 15-bit type. Types 0 (Ack) and 2^15-1 (CapAck) are
// reserved for the protocol; applications use 1 ... MaxType.
type MsgType uint16

const (
	TypeAck    MsgType = 0               // FL_UMP_ACK: a pure acknowledgement
	TypeCapAck MsgType = 1<<typeBits - 1 // FL_UMP_CAP_ACK
	MaxType    MsgType = TypeCapAck - 1
)

func (t MsgType) String() string {
	switch t {
	case TypeAck:
		return "ack"
	case TypeCapAck:
		return "capack"
	}
	return fmt.Sprintf("t%d", uint16(t))
}

// Msg is one URPC message: a type and seven payload words.
type Msg struct {
	Type  MsgType
	Words [PayloadWords]uint64
}

func (m Msg) String() string {
	var b strings.Builder
	b.WriteString(m.Type.String())
	b.WriteByte('[')
	for i, w := range m.Words {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d", w)
	}
	b.WriteByte(']')
	return b.String()
}

// Header is the decoded control part of a slot's header word.
//
// Bit layout of the 64-bit header word (the low 32 bits are ump_control):
//
//	bit 0      epoch
//	bits 1-16  ack: messages the writer has received from its peer (mod 2^16)
//	bits 17-31 message type
//	bits 32-63 zero
type Header struct {
	Epoch uint8
	Type  MsgType
	Ack   uint16
}

// EncodeHeader packs h into a header word.
func EncodeHeader(h Header) uint64 {
	return uint64(h.Epoch&1) | uint64(h.Ack)<<1 | uint64(h.Type&(1<<typeBits-1))<<(1+indexBits)
}

// DecodeHeader unpacks a header word.
func DecodeHeader(w uint64) Header {
	return Header{
		Epoch: uint8(w & 1),
		Ack:   uint16(w >> 1),
		Type:  MsgType(w>>(1+indexBits)) & (1<<typeBits - 1),
	}
}

func (h Header) String() string {
	return fmt.Sprintf("e%d %v ack=%d", h.Epoch, h.Type, h.Ack)
}

// epochOf is the epoch a ring slot carries for message number n (counting
// from 0, mod 2^16): 1 on the first lap, flipping on every wrap. The
// receiver starts expecting 1 while freshly zeroed headers carry 0.
func epochOf(n uint16) uint64 { return uint64(1 ^ (n/RingSlots)&1) }

// Options select the channel's behaviour. The zero value is a polled
// channel (no notifications, no prefetch) with the default poll budget.
type Options struct {
	// Notify enables the notification protocol: a receiver that has
	// polled for PollBudget cycles advertises it is waiting and halts; a
	// sender that sees the advertisement sends an IPI. Off: Recv polls
	// forever and Send never checks the peer's flag (no fence, no load),
	// as a pure UMP channel.
	Notify bool
	// PollBudget is how long Recv (and Send waiting for credit) polls
	// before blocking (default DefaultPollBudget). Only used with Notify.
	PollBudget arch.Cycles
	// Vector is the notification interrupt vector (default DefaultVector).
	Vector arch.Vector
	// Prefetch is how many slots past the one just received the receiver
	// prefetches (0: none). It trades latency for pipelined throughput.
	Prefetch int
}

func (o *Options) fill() {
	if o.PollBudget <= 0 {
		o.PollBudget = DefaultPollBudget
	}
	if o.Vector == 0 {
		o.Vector = DefaultVector
	}
	if o.Prefetch < 0 {
		o.Prefetch = 0
	}
	if o.Prefetch >= RingSlots {
		o.Prefetch = RingSlots - 1
	}
}

// Peer names the core that uses one end of a channel and the memory node
// its private per-side state line is allocated on (normally the core's own).
type Peer struct {
	Core arch.CoreID
	Node arch.NodeID
}

// Side names the two ends of a channel.
type Side int

const (
	SideA Side = iota // the binder: transmits on ring 0
	SideB             // the acceptor: transmits on ring 1
)

func (s Side) String() string {
	if s == SideA {
		return "A"
	}
	return "B"
}

// Channel is a bidirectional URPC channel: one shared frame holding two
// one-way rings and two notify lines, plus one private state line per side.
type Channel struct {
	frame arch.Addr
	node  arch.NodeID
	ends  [2]*Endpoint
}

// NewChannel allocates a channel's frame on node (the binder's node in
// Barrelfish; NUMA-aware code picks the receiver's) and each side's state
// line on that side's node. Fresh frames are zero, which is the initial state
// of every header (epoch 0) and of each side's counters; no initialising
// stores are needed (the allocator never reuses memory).
func NewChannel(alloc *arch.FrameAllocator, node arch.NodeID, a, b Peer, opts Options) (*Channel, error) {
	opts.fill()
	frame, err := alloc.Alloc(node, FrameBytes, 4096)
	if err != nil {
		return nil, fmt.Errorf("urpc: channel frame: %w", err)
	}
	ch := &Channel{frame: frame, node: node}
	peers := [2]Peer{a, b}
	for s := 0; s < 2; s++ {
		st, err := alloc.Alloc(peers[s].Node, arch.CacheLineSize, arch.CacheLineSize)
		if err != nil {
			return nil, fmt.Errorf("urpc: side %v state: %w", Side(s), err)
		}
		ch.ends[s] = &Endpoint{
			ch:       ch,
			side:     Side(s),
			core:     peers[s].Core,
			peerCore: peers[1-s].Core,
			tx:       frame + arch.Addr(s*RingBytes),
			rx:       frame + arch.Addr((1-s)*RingBytes),
			myFlag:   frame + 2*RingBytes + arch.Addr(s*arch.CacheLineSize),
			peerFlag: frame + 2*RingBytes + arch.Addr((1-s)*arch.CacheLineSize),
			state:    st,
			opts:     opts,
		}
	}
	return ch, nil
}

// Connect creates a channel between cores a and b of m, the frame on a's
// node and each state line on its core's node.
func Connect(m arch.Machine, alloc *arch.FrameAllocator, a, b arch.CoreID, opts Options) (*Channel, error) {
	na, nb := m.Info(a).Node, m.Info(b).Node
	return NewChannel(alloc, na, Peer{a, na}, Peer{b, nb}, opts)
}

// Endpoints returns side A's and side B's endpoints.
func (ch *Channel) Endpoints() (*Endpoint, *Endpoint) { return ch.ends[0], ch.ends[1] }

// Endpoint returns one side's endpoint.
func (ch *Channel) Endpoint(s Side) *Endpoint { return ch.ends[s] }

// Frame returns the shared frame's base address.
func (ch *Channel) Frame() arch.Addr { return ch.frame }

func (ch *Channel) String() string {
	return fmt.Sprintf("urpc[%#x %v<->%v]", uint64(ch.frame), ch.ends[0].core, ch.ends[1].core)
}
