// Command flux-apply applies a folder of YAML manifests with Flux's apply
// engine (github.com/fluxcd/pkg/ssa), driven the way kustomize-controller
// drives it, so the benchmark can compare Driftless with Flux's engine on the
// same API server and the same objects. It is a benchmark peer, not part of
// Driftless.
//
// What is copied from kustomize-controller (read at
// github.com/fluxcd/kustomize-controller main.go and
// internal/controller/kustomization_controller.go, commit 186fb3b, which pins
// ssa v0.77.0; ssa v0.78.0 keeps the same API):
//
//   - Client config: runtime/client.GetConfigOrDie in github.com/fluxcd/pkg
//     (runtime/client/client.go) defaults --kube-api-qps 50 and
//     --kube-api-burst 300, but when the API server has API Priority and
//     Fairness enabled (flowcontrol.IsEnabled; on by default since Kubernetes
//     1.20) it sets QPS and Burst to -1: no client-side rate limit at all.
//     restConfig below does the same.
//   - A dynamic (lazy) REST mapper, runtime/client.NewDynamicRESTMapper, so
//     kinds whose CRD is applied in the same run are found after it.
//   - The manager's client reads unstructured objects from the API server,
//     not from an informer cache (controller-runtime caches only typed
//     objects unless told otherwise), which is what client.New gives here.
//   - A kstatus StatusPoller on that client and mapper (the controller adds a
//     custom reader for Jobs only, none of which the benchmark applies).
//   - ssa.NewResourceManager(client, poller, ssa.Owner{Field:
//     "kustomize-controller", Group: "kustomize.toolkit.fluxcd.io"}),
//     SetOwnerLabels, SetConcurrency(4) (--concurrent-ssa defaults to 4; the
//     ResourceManager's own default is 1), normalize.UnstructuredList, then
//     ApplyAllStaged with ssa.DefaultApplyOptions(). The controller further
//     sets exclusion/force selectors and metadata cleanup of kubectl's field
//     managers; those act only on objects carrying its annotations or written
//     by kubectl before, so the defaults are what runs for the benchmark.
//
// Usage:
//
//	flux-apply --kubeconfig PATH --dir FOLDER [--namespace NS] [--repeat N]
//
// It prints one JSON line on stdout, and on any failure exits 1 with the
// reason on stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/flowcontrol"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	"github.com/fluxcd/pkg/ssa/normalize"
	ssautils "github.com/fluxcd/pkg/ssa/utils"
	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

const (
	// kustomize-controller's --kube-api-qps and --kube-api-burst defaults,
	// used only when the server does not run API Priority and Fairness.
	defaultQPS   = 50
	defaultBurst = 300
	// kustomize-controller's --concurrent-ssa default.
	concurrentSSA = 4
	// The owner labels name the Kustomization that applied the objects.
	ownerName      = "flux-apply"
	ownerNamespace = "flux-system"
)

// Run is one ApplyAllStaged call and what its ChangeSet says.
type Run struct {
	Seconds    float64 `json:"seconds"`
	Created    int     `json:"created"`
	Configured int     `json:"configured"`
	Unchanged  int     `json:"unchanged"`
	Skipped    int     `json:"skipped"`
}

// Result is the line printed on stdout. Seconds is the sum over all runs;
// the counts are those of the last run.
type Result struct {
	Seconds float64 `json:"seconds"`
	Objects int     `json:"objects"`
	// Changed counts created and configured objects (kustomize-controller's
	// HasChanged), Configured only those that existed and were patched.
	Changed    int   `json:"changed"`
	Created    int   `json:"created"`
	Configured int   `json:"configured"`
	Unchanged  int   `json:"unchanged"`
	Skipped    int   `json:"skipped"`
	Runs       []Run `json:"runs"`
	// The client's rate limit: -1 and -1 (none) when the server runs API
	// Priority and Fairness, else kustomize-controller's 50 and 300.
	QPS   float32 `json:"qps"`
	Burst int     `json:"burst"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "flux-apply: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	kubeconfig := flag.String("kubeconfig", "", "path of the kubeconfig (required)")
	dir := flag.String("dir", "", "folder whose *.yaml and *.yml files (multi-document) are applied (required)")
	namespace := flag.String("namespace", "", "namespace for namespaced objects that name none (kustomize's namespace transformer)")
	repeat := flag.Int("repeat", 1, "apply the folder this many times in a row, in one process")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(flag.Args(), " "))
	}
	if *kubeconfig == "" || *dir == "" {
		return errors.New("--kubeconfig and --dir are required")
	}
	if *repeat < 1 {
		return fmt.Errorf("--repeat must be at least 1, got %d", *repeat)
	}
	// Neither library logs anything the result does not say; controller-runtime
	// complains on stderr when no logger is set.
	ctrllog.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	config, err := restConfig(ctx, *kubeconfig)
	if err != nil {
		return err
	}
	objects, err := readObjects(*dir)
	if err != nil {
		return err
	}
	httpClient, err := rest.HTTPClientFor(config)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", *kubeconfig, err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(config, httpClient)
	if err != nil {
		return fmt.Errorf("API server of %s: %w", *kubeconfig, err)
	}
	kubeClient, err := client.New(config, client.Options{HTTPClient: httpClient, Mapper: mapper})
	if err != nil {
		return fmt.Errorf("API server of %s: %w", *kubeconfig, err)
	}
	if *namespace != "" {
		if err := setNamespace(objects, *namespace, mapper); err != nil {
			return err
		}
	}

	poller := polling.NewStatusPoller(kubeClient, mapper, polling.Options{})
	manager := ssa.NewResourceManager(kubeClient, poller, ssa.Owner{
		Field: "kustomize-controller",
		Group: "kustomize.toolkit.fluxcd.io",
	})
	manager.SetOwnerLabels(objects, ownerName, ownerNamespace)
	manager.SetConcurrency(concurrentSSA)
	if err := normalize.UnstructuredList(objects); err != nil {
		return fmt.Errorf("normalizing the objects of %s: %w", *dir, err)
	}

	result := Result{Objects: len(objects), QPS: config.QPS, Burst: config.Burst}
	for i := 0; i < *repeat; i++ {
		// ApplyAllStaged sorts its argument in place; each run gets its own copy.
		batch := make([]*unstructured.Unstructured, len(objects))
		for j, o := range objects {
			batch[j] = o.DeepCopy()
		}
		started := time.Now()
		changeSet, err := manager.ApplyAllStaged(ctx, batch, ssa.DefaultApplyOptions())
		seconds := time.Since(started).Seconds()
		if err != nil {
			return fmt.Errorf("applying %s (run %d of %d): %w", *dir, i+1, *repeat, err)
		}
		r := Run{Seconds: seconds}
		for _, entry := range changeSet.Entries {
			switch entry.Action {
			case ssa.CreatedAction:
				r.Created++
			case ssa.ConfiguredAction:
				r.Configured++
			case ssa.UnchangedAction:
				r.Unchanged++
			case ssa.SkippedAction:
				r.Skipped++
			default:
				return fmt.Errorf("applying %s: %s: unexpected action %q", *dir, entry.Subject, entry.Action)
			}
		}
		if n := r.Created + r.Configured + r.Unchanged + r.Skipped; n != len(objects) {
			return fmt.Errorf("applying %s: the change set has %d entries for %d objects", *dir, n, len(objects))
		}
		result.Seconds += seconds
		result.Runs = append(result.Runs, r)
	}
	last := result.Runs[len(result.Runs)-1]
	result.Created, result.Configured, result.Unchanged, result.Skipped =
		last.Created, last.Configured, last.Unchanged, last.Skipped
	result.Changed = last.Created + last.Configured
	line, err := json.Marshal(result)
	if err != nil {
		return err
	}
	_, err = fmt.Println(string(line))
	return err
}

// readObjects reads every *.yaml and *.yml file directly in dir, in name
// order, each possibly holding several documents.
func readObjects(dir string) ([]*unstructured.Unstructured, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading folder %s: %w", dir, err)
	}
	var objects []*unstructured.Unstructured
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || (filepath.Ext(name) != ".yaml" && filepath.Ext(name) != ".yml") {
			continue
		}
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		objs, err := ssautils.ReadObjects(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", path, err)
		}
		objects = append(objects, objs...)
	}
	if len(objects) == 0 {
		return nil, fmt.Errorf("folder %s holds no objects in *.yaml or *.yml files", dir)
	}
	return objects, nil
}

// restConfig loads the kubeconfig and sets the client's rate limit the way
// github.com/fluxcd/pkg/runtime/client.GetConfigOrDie does.
func restConfig(ctx context.Context, path string) (*rest.Config, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	config, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	config.UserAgent = "flux-apply (kustomize-controller's engine, Driftless bench)"
	enabled, err := flowcontrol.IsEnabled(ctx, config)
	if err == nil && enabled {
		config.QPS, config.Burst = -1, -1
	} else {
		config.QPS, config.Burst = defaultQPS, defaultBurst
	}
	return config, nil
}

// setNamespace gives namespaced objects without a namespace the target one,
// like kustomize's namespace transformer under a Kustomization's
// targetNamespace. Scope comes from a CRD in the same folder, else from the
// API server; kinds neither knows count as namespaced (kustomize's default).
func setNamespace(objects []*unstructured.Unstructured, namespace string, mapper meta.RESTMapper) error {
	scopes := map[schema.GroupKind]apiextensionsv1.ResourceScope{}
	for _, o := range objects {
		if !ssautils.IsCRD(o) {
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &crd); err != nil {
			return fmt.Errorf("%s: %w", ssautils.FmtUnstructured(o), err)
		}
		scopes[schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}] = crd.Spec.Scope
	}
	for _, o := range objects {
		if o.GetNamespace() != "" {
			continue
		}
		gvk := o.GroupVersionKind()
		namespaced := true
		if scope, ok := scopes[gvk.GroupKind()]; ok {
			namespaced = scope == apiextensionsv1.NamespaceScoped
		} else if mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
			namespaced = mapping.Scope.Name() == meta.RESTScopeNameNamespace
		} else if !meta.IsNoMatchError(err) {
			return fmt.Errorf("looking up %s: %w", ssautils.FmtUnstructured(o), err)
		}
		if namespaced {
			o.SetNamespace(namespace)
		}
	}
	return nil
}
