package lambdatest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
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
// parallel. It links into a folder kept between runs (see linkDir), where
// go build leaves a binary whose sources have not changed as it is, so
// that a second run costs a copy rather than a link of every function.
func BuildBootstraps(ctx context.Context, root, out, goos, goarch string, names ...string) (map[string]string, error) {
	bin, err := linkDir(root, goos, goarch)
	if err != nil {
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
		// called bootstrap. A copy, so that the next build may replace
		// the linked one while this is running.
		path := filepath.Join(dir, "bootstrap")
		if err := copyExecutable(filepath.Join(bin, name), path); err != nil {
			return nil, fmt.Errorf("bootstrap of %s: %w", name, err)
		}
		paths[name] = path
	}
	return paths, nil
}

// linkDir is where go build links the bootstraps of the checkout at root
// for goos and goarch: delivery/lambda-bootstraps/<goos>-<goarch>-<checkout>
// in the user's cache folder, or in the temporary folder where there is
// none. Each checkout has its own, so that two checkouts tested at once
// never write the same files.
func linkDir(root, goos, goarch string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	checkout := sha256.Sum256([]byte(abs))
	dir := filepath.Join(base, "delivery", "lambda-bootstraps", fmt.Sprintf("%s-%s-%x", goos, goarch, checkout[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

func copyExecutable(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
