package main

import (
	"fmt"
	"strings"
)

// trtBackends are trtllm-bench's --backend values: engines that run inside TensorRT-LLM.
var trtBackends = map[string]string{
	"pytorch":     "TensorRT-LLM's PyTorch backend",
	"_autodeploy": "TensorRT-LLM's AutoDeploy backend",
	"autodeploy":  "TensorRT-LLM's AutoDeploy backend",
	"tensorrt":    "TensorRT-LLM's TensorRT engine backend",
	"trt":         "TensorRT-LLM's TensorRT engine backend",
}

// servePort is trtllm-serve's default port.
const servePort = 8000

// trtBackendError is the one line for --backend pytorch, _autodeploy or tensorrt: what the
// backend is, and the commands that benchmark such an engine with benchtui, through
// trtllm-serve's OpenAI-compatible server, built from the flags given. It is nil for other
// backends.
func trtBackendError(f *benchFlags, set map[string]bool, command string) error {
	what, ok := trtBackends[strings.ToLower(f.Backend)]
	if !ok {
		return nil
	}
	backend := strings.ToLower(f.Backend)
	if backend == "autodeploy" {
		backend = "_autodeploy"
	} else if backend == "trt" {
		backend = "tensorrt"
	}
	serve := []string{"trtllm-serve", shellWord(f.Model), "--backend", backend}
	if f.ConfigFile != "" {
		serve = append(serve, "--extra_llm_api_options", shellWord(f.ConfigFile))
	}
	if f.TP > 1 {
		serve = append(serve, "--tp_size", fmt.Sprint(f.TP))
	}
	if set["max_batch_size"] {
		serve = append(serve, "--max_batch_size", fmt.Sprint(f.MaxBatchSize))
	}
	bench := []string{"benchtui", "--model", shellWord(f.Model), command, "--backend", "openai",
		"--base_url", fmt.Sprintf("http://localhost:%d/v1", servePort)}
	if f.Dataset != "" {
		bench = append(bench, "--dataset", shellWord(f.Dataset))
	}
	if f.ReportJSON != "" {
		bench = append(bench, "--report_json", shellWord(f.ReportJSON))
	}
	return badInput("--backend %s is %s, which runs inside TensorRT-LLM, not in benchtui; to benchmark it, serve the model with it and measure the server: %s, then %s (or leave out --backend to benchmark llama.cpp)",
		f.Backend, what, strings.Join(serve, " "), strings.Join(bench, " "))
}

// shellWord quotes s for a shell when it needs quoting.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
