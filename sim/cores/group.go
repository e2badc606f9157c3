package cores

import (
	"fmt"
	"strings"

	"mksim/arch"
	"mksim/sim"
)

// Group runs a set of cores on one engine: it starts their programs, runs
// the engine until every started program has returned, and detects
// deadlock. It is the IPISink fabrics deliver to. sim/machine wraps it into
// an arch.Machine.
type Group struct {
	eng   *sim.Engine
	cores []*Core
	live  int
	// Limit, if positive, is a simulated time past which Run gives up with
	// an error (a watchdog for livelocks, which deadlock detection cannot
	// see because events keep coming).
	Limit sim.Time
}

// NewGroup groups cores, which must be numbered 0..len-1 in order and
// share eng.
func NewGroup(eng *sim.Engine, cores []*Core) *Group {
	g := &Group{eng: eng, cores: cores}
	for i, c := range cores {
		if c.id != arch.CoreID(i) {
			sim.Failf("cores.Group", "new", "core at index %d has ID %v", i, c.id)
		}
		if c.eng != eng {
			sim.Failf("cores.Group", "new", "%v runs on another engine", c.id)
		}
		if c.group != nil && c.group != g {
			sim.Failf("cores.Group", "new", "%v already belongs to a group", c.id)
		}
		c.group = g
	}
	return g
}

// Cores returns the group's cores in ID order.
func (g *Group) Cores() []*Core { return g.cores }

// Core returns core id.
func (g *Group) Core(id arch.CoreID) *Core { return g.cores[id] }

// DeliverIPI implements IPISink.
func (g *Group) DeliverIPI(to arch.CoreID, v arch.Vector, from arch.CoreID) {
	if to < 0 || int(to) >= len(g.cores) {
		sim.Failf("cores.Group", "deliver", "IPI vector %d from %v to nonexistent %v", v, from, to)
	}
	g.cores[to].ReceiveIPI(v, from)
}

func (g *Group) programDone(*Core) { g.live-- }

// DeadlockError reports programs that can never finish: every core is
// waiting and no event is pending.
type DeadlockError struct {
	At    sim.Time
	Cores []string // Core.Describe of every core, in ID order
}

func (e *DeadlockError) Error() string {
	return fmt.Sprintf("cores: deadlock at %v, no event pending: %s", e.At, strings.Join(e.Cores, "; "))
}

// Run starts the program given to each core with Start (cores without one
// halt with interrupts enabled, and keep running their handlers), then runs
// the engine until every started program has returned. Cores whose
// programs returned stay halted and take interrupts, also in later runs.
// It returns a *DeadlockError if every core waits with no event pending,
// and an error if Limit is reached or the engine was stopped.
func (g *Group) Run() error {
	for _, c := range g.cores {
		if c.prog != nil {
			if c.stop != nil {
				if c.state != StateIdle {
					return fmt.Errorf("cores: %v cannot start a program: it is %v", c.id, c.state)
				}
				c.terminate()
			}
			g.live++
			c.launch()
		} else if c.stop == nil {
			c.launch()
		}
	}
	if g.Limit > 0 {
		g.eng.RunWhile(func() bool { return g.live > 0 && g.eng.NextTime() <= g.Limit })
	} else {
		g.eng.RunWhile(func() bool { return g.live > 0 })
	}
	if g.live == 0 {
		return nil
	}
	if g.eng.Pending() == 0 {
		return &DeadlockError{At: g.eng.Now(), Cores: g.describe()}
	}
	if g.Limit > 0 && g.eng.NextTime() > g.Limit {
		return fmt.Errorf("cores: time limit %v reached with %d programs running: %s", g.Limit, g.live, strings.Join(g.describe(), "; "))
	}
	return fmt.Errorf("cores: engine stopped at %v with %d programs running", g.eng.Now(), g.live)
}

func (g *Group) describe() []string {
	s := make([]string, len(g.cores))
	for i, c := range g.cores {
		s[i] = c.Describe()
	}
	return s
}

// Close stops every core's coroutine (unwinding programs that are still
// running) and cancels their timers. The cores can be given new programs
// and run again.
func (g *Group) Close() {
	for _, c := range g.cores {
		c.terminate()
	}
	g.live = 0
}

// RunAll runs cores, each of which was given its program with Start, to
// completion and closes them.
func RunAll(eng *sim.Engine, cores []*Core) error {
	g := NewGroup(eng, cores)
	defer g.Close()
	return g.Run()
}
