package mem

import "fmt"

// Class groups messages for sizing and for the link counters.
type Class uint8

const (
	ClassRequest  Class = iota // a request to a home or the bus: address, no data
	ClassProbe                 // a probe / snoop / invalidation to a cache
	ClassResponse              // an ack or probe response without data
	ClassData                  // a response or writeback carrying a 64-byte line
	ClassIPI                   // an interrupt message between packages
	NumClasses
)

var classNames = [...]string{"req", "probe", "resp", "data", "ipi"}

func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// HeaderBytes is the size of a control packet (request, probe, response) on
// HyperTransport: 8 bytes of command and address. Data messages add a line.
const HeaderBytes = 8

// Bytes is the size on the wire of a message of this class.
func (c Class) Bytes() int {
	if c == ClassData {
		return HeaderBytes + LineSize
	}
	return HeaderBytes
}

// Kind is the protocol's name for a message (GetS, Probe, ...). Kinds are
// defined by sim/cache; the interconnect treats them as opaque and only
// reads Class, Src, Dst and ID.
type Kind uint8

// KindNamer names kinds for String(); sim/cache installs its table.
var KindNamer = func(k Kind) string { return fmt.Sprintf("k%d", uint8(k)) }

// Msg is one coherence message crossing the interconnect. Messages are
// passed by pointer; the sender must not touch a message after Send.
//
// The header fills the first 64 bytes and the data the next 64: a
// message is 128 bytes, one host cache line for everything but the data
// (every hop and handler reads the header; only data messages touch the
// second line). Data is valid only in data messages (Class ClassData),
// and whoever makes one sets it: pools hand out messages with a zeroed
// header and leave the data as it was, so that the three messages in four
// that carry none never touch their second line.
type Msg struct {
	Header
	Data Data // valid when Class == ClassData
}

// Header is a message's fields but its data.
type Header struct {
	Kind   Kind
	Class  Class
	Shared bool   // response: another cache kept a copy
	Dirty  bool   // response: data is dirty (ownership passes)
	ID     OpID   // software operation that caused the transaction
	Src    NodeID // node that sent this hop's message
	Dst    NodeID // node it is for
	Line   LineAddr
	Txn    uint64 // transaction number, unique per run, for matching responses
	// Protocol fields, opaque to the interconnect.
	Requester int // requesting controller (cache) index within the machine
	Unit      int // destination controller within Dst, if the protocol needs it
	Acks      int // expected or carried acknowledgement count
}

// CopyFrom makes m a copy of from: its header, and its data if it is a
// data message.
func (m *Msg) CopyFrom(from *Msg) {
	m.Header = from.Header
	if from.Class == ClassData {
		m.Data = from.Data
	}
}

// Bytes is the message's size on the wire.
func (m *Msg) Bytes() int { return m.Class.Bytes() }

func (m *Msg) String() string {
	return fmt.Sprintf("%s[%s] %d->%d line %v txn %d op %d", KindNamer(m.Kind), m.Class, m.Src, m.Dst, m.Line, m.Txn, m.ID)
}

// Network carries messages between nodes. Implemented by sim/interconnect,
// used by sim/cache; sim/machine wires them together.
type Network interface {
	// Send queues m for delivery to m.Dst; it arrives later through the
	// destination's Receiver. Send to self is delivered with zero latency
	// from a fresh event, never synchronously.
	Send(m *Msg)
}

// Receiver is the node-side endpoint that the network delivers to.
type Receiver interface {
	Receive(m *Msg)
}
