//go:build !invariants

package cache

// checkInvariants turns on the coherence invariant checks after every
// transition; build with -tags invariants to enable them.
const checkInvariants = false
