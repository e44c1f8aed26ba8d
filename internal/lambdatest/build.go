package lambdatest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
)

// FunctionNames returns the folders under root/lambdas, each one function,
// sorted.
func FunctionNames(root string) ([]string, error) {
	dirs, err := os.ReadDir(filepath.Join(root, "lambdas"))
	if err != nil {
		return nil, fmt.Errorf("lambdas: %w", err)
	}
	var names []string
	for _, d := range dirs {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// BuildBootstraps builds each lambdas/<name> of root as setup.sh does
// (CGO off, -tags lambda.norpc, -trimpath, -ldflags "-s -w") for goos and
// goarch, into out/<name>/bootstrap, and returns those paths by name. One
// go build builds them all, so the packages they share compile once and in
// parallel, and the build cache makes a second run cheap.
func BuildBootstraps(ctx context.Context, root, out, goos, goarch string, names ...string) (map[string]string, error) {
	bin := filepath.Join(out, ".bin-"+goos+"-"+goarch)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", bin + string(filepath.Separator)}
	for _, name := range names {
		args = append(args, "./lambdas/"+name)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if output, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build lambdas: %w\n%s", err, output)
	}
	paths := make(map[string]string, len(names))
	for _, name := range names {
		dir := filepath.Join(out, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		// go build names each binary after its folder; Lambda runs one
		// called bootstrap.
		path := filepath.Join(dir, "bootstrap")
		if err := os.Rename(filepath.Join(bin, name), path); err != nil {
			return nil, fmt.Errorf("bootstrap of %s: %w", name, err)
		}
		paths[name] = path
	}
	return paths, nil
}
