package cache

import (
	"testing"
	"unsafe"
)

// TestTxnLayout: a transaction's control fields are its first host cache
// line, and its size keeps it aligned (see ptxn).
func TestTxnLayout(t *testing.T) {
	var x ptxn
	if s, o := unsafe.Sizeof(x), unsafe.Offsetof(x.waiters); s != 256 || o != 64 {
		t.Errorf("ptxn is %d bytes with the control in the first %d, want 256 and 64", s, o)
	}
}

// TestRowLayout: a protocol table row is 8 bytes (see row).
func TestRowLayout(t *testing.T) {
	if s := unsafe.Sizeof(row{}); s != 8 {
		t.Errorf("row is %d bytes, want 8", s)
	}
}

// The package's tests count table coverage (tester_test.go reports the
// rows no test ran).
func init() { countRows = true }
