package interconnect

import (
	"testing"
	"unsafe"
)

// A packet's per-hop fields fill its first cache line, and packets are
// 192 bytes, a size class whose objects are 64-byte aligned, so that they
// are one line (network.go, packet).
func TestPacketLayout(t *testing.T) {
	var p packet
	if s := unsafe.Sizeof(p); s != 192 {
		t.Errorf("packet is %d bytes, want 192", s)
	}
	if o := unsafe.Offsetof(p.m); o != 64 {
		t.Errorf("packet.m at offset %d, want 64: the per-hop fields are no longer the first line", o)
	}
}
