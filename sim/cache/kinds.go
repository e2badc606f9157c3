package cache

import (
	"fmt"

	"mksim/sim/mem"
)

// Message kinds of the inter-node protocol. The interconnect only reads
// Class, Src, Dst and ID; the kind is ours.
const (
	// Requester package -> home.
	KGetS     mem.Kind = iota + 1 // read miss
	KGetM                         // write miss, no copy
	KUpg                          // write to a line held S or O (no data needed)
	KPutM                         // writeback of an exclusive dirty line
	KPutO                         // writeback of an owned line
	KPutE                         // eviction of an exclusive clean line (directory)
	KDataReq                      // broadcast: upgrade lost its copy, send memory data
	KDone                         // transaction complete; unblocks the line at the home
	KDoneData                     // Done carrying the line (MESI: dirty data read shared)
	KWbData                       // broadcast writeback, phase 3: the data
	KWbCancel                     // broadcast writeback, phase 3: ownership was lost
	// Home -> caches.
	KPrbS  // probe for a read: keep a shared copy, supply data if dirty
	KPrbM  // probe for a write: invalidate, supply data if dirty
	KFwdS  // directory: to the owner, supply data (clean or dirty), keep a copy
	KFwdM  // directory: to the owner, supply data and invalidate
	KMem   // memory data, speculative (broadcast): a dirty response overrides it
	KMemX  // memory data, definitive (directory): no cache holds it dirty
	KGrant // no data; Acks = number of probe responses to expect
	KWbGo  // broadcast writeback, phase 2: send the data now
	KPutAck
	// Probed cache -> requester.
	KAck     // probe response without data (Shared: kept a copy)
	KAckData // probe response with the line (Dirty: data newer than memory)
	numKinds
)

var kindNames = [...]string{"?", "GetS", "GetM", "Upg", "PutM", "PutO", "PutE", "DataReq", "Done", "DoneData",
	"WbData", "WbCancel", "PrbS", "PrbM", "FwdS", "FwdM", "Mem", "MemX", "Grant", "WbGo", "PutAck", "Ack", "AckData"}

// KindName names a message kind of this protocol; it is installed as
// mem.KindNamer.
func KindName(k mem.Kind) string {
	if k > 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("k%d", uint8(k))
}

func init() { mem.KindNamer = KindName }

// toHome reports whether a kind is handled by the home controller.
func toHome(k mem.Kind) bool { return k >= KGetS && k <= KWbCancel }
