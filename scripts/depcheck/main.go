// Command depcheck enforces the package layout: the domain package imports
// nothing of ours, and adapter packages (those wrapping a store, a transport
// or a data source) never import each other. Run by `make lint`.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

const module = "github.com/shuan-dev/shuan"

// adapters are the packages named for what they wrap; subpackages count as
// part of their adapter.
var adapters = []string{"sqlstore", "web", "source"}

func adapterOf(pkg string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	for _, a := range adapters {
		if rel == a || strings.HasPrefix(rel, a+"/") {
			return a
		}
	}
	return ""
}

func main() {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "depcheck: go list:", err)
		os.Exit(2)
	}
	var problems []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		pkg, imports := f[0], f[1:]
		for _, imp := range imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if pkg == module {
				problems = append(problems, fmt.Sprintf("domain package imports %s (it may import only the standard library)", imp))
			}
			a, b := adapterOf(pkg), adapterOf(imp)
			if a != "" && b != "" && a != b && !strings.HasSuffix(pkg, "test") {
				problems = append(problems, fmt.Sprintf("adapter %s imports adapter %s", pkg, imp))
			}
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "depcheck:", p)
		}
		os.Exit(1)
	}
}
