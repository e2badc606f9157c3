package kernel

import "mksim/arch"

// Memory layouts. Every structure the real CPU driver and user-level
// dispatcher keep in memory lives in simulated memory at these word
// offsets; see design.md for the picture.

// KCB: the per-core kernel globals (kcb.h / R2011 globals), node-local.
const (
	kcbCurrent   = 0 // dcb_current
	kcbQueueHead = 1 // RBED run queue, sorted by absolute deadline
	kcbQueueTail = 2
	kcbUHRT      = 3 // utilisation of hard real-time tasks (SPECTRUM fixed point)
	kcbUSRT      = 4
	kcbWBE       = 5 // sum of best-effort weights
	kcbNBE       = 6 // number of runnable best-effort tasks
	kcbLastDisp  = 7 // last dispatched DCB, for execution-time accounting
	kcbIRQTable  = 8 // words 8..263: per vector, the DCB notified
	kcbWords     = kcbIRQTable + 256
)

// DCB: the kernel's dispatcher control block (dispatch.h), two lines.
const (
	dcbDisp       = 0 // user dispatcher frame
	dcbCSpace     = 1 // root CNode base
	dcbCSpaceBits = 2 // root CNode size, in slots
	dcbVSpace     = 3 // address-space root (the CR3 value)
	dcbNext       = 4 // run-queue link
	dcbDisabled   = 5 // state was saved in the disabled area
	dcbID         = 6
	dcbAlive      = 7
	// line 1: RBED parameters (schedule_rbed.c)
	dcbType         = 8
	dcbRelease      = 9
	dcbEtime        = 10
	dcbLastDispatch = 11
	dcbWCET         = 12
	dcbPeriod       = 13
	dcbDeadline     = 14
	dcbWeight       = 15
	dcbWords        = 16
)

// Dispatcher frame: shared between the kernel and the user-level dispatcher
// (dispatcher_shared_generic, save areas, then dispatcher_generic, one
// thread, a waitset and the LMP channels with their endpoint buffers).
const (
	fDisabled     = 0 // line 0: dispatcher_shared_generic
	fHaswork      = 1
	fLMPDelivered = 2
	fLMPSeen      = 3
	fLMPHint      = 4
	fSystime      = 5
	fEntryRun     = 6
	fEntryLRPC    = 7

	fEnabledArea  = 8  // lines 1-3: enabled save area (24 words)
	fDisabledArea = 32 // lines 4-6: disabled save area

	gCurrent   = 56 // line 7: dispatcher_generic
	gRunq      = 57
	gTimeslice = 58
	gDeferred  = 59
	gPollList  = 60 // LMP endpoints to poll
	gNotify    = 61 // pending notifications, set by the kernel's IRQ path
	gWaitset   = 62
	gSendRetry = 63 // LMP sends waiting to be retried

	tNext     = 64 // line 8: the thread control block
	tPrev     = 65
	tState    = 66
	tWaitOn   = 67 // what the thread is blocked on
	tRegs     = 72 // lines 9-10: thread register save area
	wsPending = 88 // line 11: the dispatcher's default waitset
	wsIdle    = 89
	wsWaiting = 90 // threads blocked on the waitset
	wsPolled  = 91

	fChans    = 96 // line 12 on: LMP channels, chanWords each
	chanWords = 40

	// Within a channel (struct lmp_chan with its waitset_chanstate).
	chState    = 0
	chNext     = 1
	chPrev     = 2
	chFn       = 3
	chArg      = 4
	chRemote   = 5 // cptr of the peer's EndPoint cap in our cspace
	chEP       = 6 // our endpoint
	chConn     = 7
	chEndpoint = 8 // the endpoint (lmp_endpoint) follows at word 8

	// Within an endpoint: the kernel-visible part (lmp_endpoint_kern)
	// then the ring buffer.
	epDelivered = 0
	epConsumed  = 1
	epSeen      = 2
	epNext      = 3
	epBuf       = 4

	frameBytes = 16 << 10
	maxChans   = (frameBytes/arch.WordSize - fChans) / chanWords
)

// CTE: one capability table entry (struct cte), one line.
const (
	cteType     = 0
	cteObj      = 1 // EndPoint: listener DCB
	cteEPOffset = 2 // EndPoint: endpoint offset in the listener's frame
	cteEPBufLen = 3 // EndPoint: buffer length in words
	cteRights   = 4
	cteMDBPrev  = 5
	cteMDBNext  = 6
	cteRemote   = 7
	cteWords    = 8
)

// Sizes from Barrelfish (barrelfish.md §2.5).
const (
	LMPMsgLength   = 10 // LMP_MSG_LENGTH: words per LMP message
	LRPCMsgLength  = 4  // LRPC_MSG_LENGTH: words passed in registers
	LMPBufWords    = 22 // DEFAULT_LMP_BUF_WORDS
	fullRegWords   = 20 // x86-64 GPRs + rip + rflags + fs + gs
	lrpcSaveWords  = 10 // what the LRPC fast path saves: callee-saved, rsp, rip, rflags
	threadRegWords = 10 // what thread_block saves
	defaultSlots   = 16 // root CNode slots
)

// Cap types.
const (
	capNull       = 0
	capEndPoint   = 1
	capDispatcher = 2
	capCNode      = 3
)

// Thread and channel states in memory.
const (
	thRunnable = 1
	thBlocked  = 2

	waitNone   = 0
	waitLMP    = 1 // blocked on the waitset
	waitNotify = 2 // blocked until a notification

	csIdle       = 0
	csRegistered = 1
	csPending    = 2
)

// Fake code addresses stored in the entry-point words.
const (
	entryRun  = 0x40_1000
	entryLRPC = 0x40_1100
)

// Instruction counts of the code paths, excluding their loads and stores
// (which are made as real memory operations). They are fixed estimates of
// the real code's ALU and branch instructions; calibration to the paper
// tunes the core types' trap and switch costs, never these.
const (
	instrLRPCStub     = 12 // user LRPC stub: marshal 4 words, syscall word
	instrLRPCFast     = 30 // entry.S fast path: checks, index arithmetic, branches
	instrSyscallEntry = 12 // generic syscall decode and dispatch
	instrCapLookup    = 8  // one-level cspace lookup
	instrLMPDeliver   = 25 // lmp_deliver_payload
	instrLMPStub      = 15 // user LMP send stub
	instrDispatch     = 20 // dispatch(): decide resume or upcall, set up frame
	instrUpcall       = 10 // build the upcall register frame
	instrSchedule     = 20 // schedule(): accounting and choice
	instrQueueStep    = 4  // per run-queue element visited
	instrIRQ          = 30 // interrupt entry, IRQ table lookup
	instrDispLRPC     = 10 // disp_lrpc: store args at bufpos, wrap
	instrDispRun      = 20 // disp_run: checks and calls
	instrPollEndpoint = 10 // per endpoint polled by lmp_endpoints_poll
	instrThreadSched  = 20 // thread_run_disabled + disp_resume
	instrWaitset      = 15 // register / trigger / get_next_event
	instrLMPRecv      = 15 // lmp_endpoint_recv
	instrThreadBlock  = 15 // thread_block_disabled
	instrYield        = 10 // sys_yield decision
)

// word returns the address of word i of a structure at base.
func word(base arch.Addr, i int) arch.Addr { return base + arch.Addr(i*arch.WordSize) }
