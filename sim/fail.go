package sim

import "fmt"

// InvariantError is the value of a panic raised for a broken invariant. It
// names the component, the state it was in and the event it was handling, so a
// failing run points at the guilty table row rather than at a stack frame.
type InvariantError struct {
	Component string
	State     string
	Msg       string
}

func (e *InvariantError) Error() string {
	return fmt.Sprintf("invariant broken in %s (state %s): %s", e.Component, e.State, e.Msg)
}

// Failf panics with an *InvariantError. It is the one helper every model
// component uses for broken invariants; bad input is returned as an error
// instead, never panicked on.
func Failf(component, state, format string, args ...any) {
	panic(&InvariantError{Component: component, State: state, Msg: fmt.Sprintf(format, args...)})
}
