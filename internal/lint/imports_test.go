package lint

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// module is the module path of go.mod.
const module = "mksim"

// rule is one row of DESIGN.md §2's import table.
type rule struct {
	// may lists the module packages (paths relative to the module) the
	// package may import; "x/..." means x and everything below it, "*"
	// anything in the module.
	may []string
	// mayNot lists exceptions to "*" ("cmd/..." for experiments).
	mayNot []string
	// third lists the third-party import-path prefixes it may use.
	third []string
}

var (
	cobra = []string{"github.com/spf13/cobra", "github.com/spf13/pflag"}
	yaml  = []string{"gopkg.in/yaml.v3"}
	gonum = []string{"gonum.org/v1/gonum", "gonum.org/v1/plot"}
)

// table is DESIGN.md §2. A package follows the row of the longest path that
// is it or one of its parents (sim/trace follows "sim"). Every package may
// also import its own sub-packages that have no row of their own.
var table = map[string]rule{
	"cmd":              {may: []string{"*"}, third: cobra},
	"experiments":      {may: []string{"*"}, mayNot: []string{"cmd/..."}, third: gonum},
	"topologies":       {third: yaml},
	"sim":              {},
	"sim/mem":          {may: []string{"sim"}},
	"sim/cache":        {may: []string{"sim", "sim/mem"}},
	"sim/interconnect": {may: []string{"sim", "sim/mem"}},
	"sim/cores":        {may: []string{"sim", "sim/mem", "arch"}},
	"sim/machine":      {may: []string{"sim/...", "topologies", "arch"}},
	"arch":             {},
	"arch/archtest":    {may: []string{"arch"}},
	"kernel":           {may: []string{"arch"}},
	"urpc":             {may: []string{"arch"}},
	"monitor":          {may: []string{"arch", "urpc", "kernel", "skb"}},
	"skb":              {may: []string{"arch", "urpc"}, third: gonum},
	"internal":         {may: []string{"*"}, third: append(append(append([]string{}, cobra...), yaml...), gonum...)},
}

// testExtras are what _test.go files may import beyond their package's
// row: test helpers. A package's own tests may import the package itself
// (external test packages) and its sub-packages; tests of packages that may
// import arch may use the functional fake arch/archtest; any test may use
// internal/... helpers.
func testExtras(pkg string, r rule) []string {
	extra := []string{pkg, "internal/..."}
	for _, m := range r.may {
		if m == "arch" {
			extra = append(extra, "arch/archtest")
		}
	}
	return extra
}

// ruleFor returns the row governing pkg and its path.
func ruleFor(pkg string) (rule, string, bool) {
	for p := pkg; ; p = filepath.ToSlash(filepath.Dir(p)) {
		if r, ok := table[p]; ok {
			return r, p, true
		}
		if !strings.Contains(p, "/") {
			return rule{}, "", false
		}
	}
}

// matches reports whether module package pkg matches pattern ("x", "x/...", "*").
func matches(pkg, pattern string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasSuffix(pattern, "/..."):
		base := strings.TrimSuffix(pattern, "/...")
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && first != module
}

// allowed says whether a file of package pkg may import path.
func allowed(pkg string, r rule, test bool, path string) bool {
	if isStd(path) {
		return true
	}
	if path != module && !strings.HasPrefix(path, module+"/") {
		for _, p := range r.third {
			if path == p || strings.HasPrefix(path, p+"/") {
				return true
			}
		}
		return false
	}
	dep := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	if strings.HasPrefix(dep, pkg+"/") {
		// Its own sub-package, if that has no row of its own.
		_, depRow, _ := ruleFor(dep)
		_, pkgRow, _ := ruleFor(pkg)
		if depRow == pkgRow {
			return true
		}
	}
	for _, p := range r.mayNot {
		if matches(dep, p) {
			return false
		}
	}
	may := r.may
	if test {
		may = append(append([]string{}, may...), testExtras(pkg, r)...)
	}
	for _, p := range may {
		if matches(dep, p) {
			return true
		}
	}
	return false
}

// moduleRoot finds the directory holding go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// goFiles lists the module's Go files by package directory (relative,
// slash-separated), skipping testdata, vendor and hidden directories.
func goFiles(t *testing.T, root string) map[string][]string {
	pkgs := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			rel = filepath.ToSlash(rel)
			pkgs[rel] = append(pkgs[rel], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestImportTable(t *testing.T) {
	root := moduleRoot(t)
	pkgs := goFiles(t, root)
	dirs := make([]string, 0, len(pkgs))
	for d := range pkgs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	checked := 0
	for _, pkg := range dirs {
		r, row, ok := ruleFor(pkg)
		if !ok {
			t.Errorf("%s/: package %q is not in DESIGN.md §2's import table; add a row for it (there and in internal/lint/imports_test.go)", pkg, pkg)
			continue
		}
		for _, file := range pkgs[pkg] {
			rel, _ := filepath.Rel(root, file)
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				continue
			}
			test := strings.HasSuffix(file, "_test.go")
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				checked++
				if !allowed(pkg, r, test, path) {
					t.Errorf("%s: imports %q, which package %s (row %q of DESIGN.md §2) may not import", filepath.ToSlash(rel), path, pkg, row)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no imports checked: is the module root right?")
	}
}

func TestEveryPackageHasDocGo(t *testing.T) {
	root := moduleRoot(t)
	for pkg, files := range goFiles(t, root) {
		nonTest := false
		for _, f := range files {
			nonTest = nonTest || !strings.HasSuffix(f, "_test.go")
		}
		if !nonTest {
			continue // test-only directories (this one) need no doc.go
		}
		if _, err := os.Stat(filepath.Join(root, pkg, "doc.go")); err != nil {
			t.Errorf("%s/: package has no doc.go (what it owns, what drives it, its units, what it must not import)", pkg)
		}
	}
}

// TestRules checks the checker on cases with known answers.
func TestRules(t *testing.T) {
	cases := []struct {
		pkg, path string
		test, ok  bool
	}{
		{"sim", "fmt", false, true},
		{"sim", "mksim/sim/mem", false, false},
		{"sim/mem", "mksim/sim", false, true},
		{"sim/cache", "mksim/sim/interconnect", false, false},
		{"sim/interconnect", "mksim/sim/cache", false, false},
		{"sim/cores", "mksim/arch", false, true},
		{"sim/cores", "mksim/kernel", false, false},
		{"sim/machine", "mksim/sim/cache", false, true},
		{"sim/machine", "mksim/topologies", false, true},
		{"sim/machine", "mksim/kernel", false, false},
		{"kernel", "mksim/arch", false, true},
		{"kernel", "mksim/arch/archtest", false, false},
		{"kernel", "mksim/arch/archtest", true, true},
		{"kernel", "mksim/sim", false, false},
		{"kernel", "mksim/sim", true, false},
		{"urpc", "mksim/kernel", false, false},
		{"monitor", "mksim/skb", false, true},
		{"skb", "mksim/monitor", false, false},
		{"topologies", "gopkg.in/yaml.v3", false, true},
		{"topologies", "github.com/spf13/cobra", false, false},
		{"topologies", "mksim/sim", false, false},
		{"sim", "gopkg.in/yaml.v3", false, false},
		{"cmd/mksim", "github.com/spf13/cobra", false, true},
		{"cmd/mksim", "mksim/sim/machine", false, true},
		{"experiments", "mksim/sim/machine", false, true},
		{"experiments", "mksim/cmd/mksim", false, false},
		{"arch/archtest", "mksim/arch", false, true},
		{"arch", "mksim/arch/archtest", false, false}, // a sub-package with its own row
		{"kernel", "mksim/kernel/caps", false, true},  // its own sub-package
		{"sim", "mksim/sim/trace", false, true},       // its own sub-package, same row
		{"sim/trace", "mksim/sim/mem", false, false},  // follows the "sim" row
		{"internal/lint", "mksim/sim/cache", false, true},
	}
	for _, c := range cases {
		r, _, ok := ruleFor(c.pkg)
		if !ok {
			t.Fatalf("no rule for %s", c.pkg)
		}
		if got := allowed(c.pkg, r, c.test, c.path); got != c.ok {
			t.Errorf("allowed(%s, test=%v, %s) = %v, want %v", c.pkg, c.test, c.path, got, c.ok)
		}
	}
	if _, _, ok := ruleFor("results"); ok {
		t.Error("results/ holds no Go code and has no row")
	}
}
