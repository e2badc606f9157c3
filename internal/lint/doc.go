// Package lint holds tests that enforce the project's structure rules: the
// import table of DESIGN.md §2 (who may import whom, and which third-party
// modules each package may use) and the rule that every package has a
// doc.go. It has no non-test code; `go test ./...` runs it with the rest.
//
// To change the rules, change DESIGN.md §2 first and then the table in
// imports_test.go to match.
//
// Imports: the standard library only (go/parser, go/ast).
package lint
