package machine

import (
	"mksim/sim/cache"
	"mksim/sim/cores"
	"mksim/sim/mem"
)

// l1Watcher adapts an L1's line watch to cores.Watcher, so a core's
// SpinUntil sleeps until the polled line leaves its L1 instead of
// re-polling at every event. (sim/cache cannot name cores.LineWatcher; the
// adapter lives here, where both are known.)
type l1Watcher struct {
	l1 *cache.L1
	w  cores.LineWatcher
	fn func(mem.LineAddr) // made once: watching allocates nothing
}

func newL1Watcher(l1 *cache.L1) *l1Watcher {
	x := &l1Watcher{l1: l1}
	x.fn = func(line mem.LineAddr) {
		if w := x.w; w != nil {
			x.w = nil
			w.LineChanged(line)
		}
	}
	return x
}

// Watch implements cores.Watcher.
func (x *l1Watcher) Watch(line mem.LineAddr, w cores.LineWatcher) bool {
	x.w = w
	if !x.l1.WatchLine(line, x.fn) {
		x.w = nil
		return false
	}
	return true
}

// Unwatch implements cores.Watcher.
func (x *l1Watcher) Unwatch(line mem.LineAddr, w cores.LineWatcher) {
	x.l1.UnwatchLine(line)
	x.w = nil
}
