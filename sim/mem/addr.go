package mem

import "fmt"

// LineSize is the coherence granule in bytes on every shipped machine.
const LineSize = 64

// WordsPerLine is the number of 8-byte words in a line.
const WordsPerLine = LineSize / 8

// Addr is a physical byte address.
type Addr uint64

// LineAddr is the address of a line: the byte address with the low
// log2(LineSize) bits cleared.
type LineAddr uint64

// Line returns the line holding a.
func (a Addr) Line() LineAddr { return LineAddr(a &^ (LineSize - 1)) }

// Word returns the index of a's 8-byte word within its line.
func (a Addr) Word() int { return int(a&(LineSize-1)) >> 3 }

func (a Addr) String() string { return fmt.Sprintf("%#x", uint64(a)) }

func (l LineAddr) String() string { return fmt.Sprintf("%#x", uint64(l)) }

// Addr returns the byte address of word i of the line.
func (l LineAddr) Addr(i int) Addr { return Addr(l) + Addr(i*8) }

// Data is the contents of one line.
type Data [WordsPerLine]uint64

// NodeID names a coherence node: an AMD package with its memory controller,
// an Intel package on the FSB, or a standalone memory controller / hub.
type NodeID int

// OpID tags every request with the software operation that caused it, so
// link counters can be attributed to OS operations. Zero means untagged.
type OpID uint32
