package synth

// Rope scaling blocks of the Llama 3.1 and 3.2 configs, and gpt-oss's.
var (
	llama3Scaling8  = &RopeScaling{Type: RopeLlama3, Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192}
	llama3Scaling32 = &RopeScaling{Type: RopeLlama3, Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192}
	gptOSSYaRN      = &RopeScaling{Type: RopeYaRN, Factor: 32, OriginalContext: 4096, BetaFast: 32, BetaSlow: 1}
)

// presets holds the known shapes. The real models' values are from their Hugging Face
// config.json files (the Instruct releases where base and Instruct differ in anything but
// the weights; their tensor shapes are the same).
var presets = []Preset{
	{
		// For CPU tests: dozens of requests run in seconds on two cores.
		Name: "tiny", Arch: ArchLlama,
		Layers: 4, Hidden: 256, Heads: 4, KVHeads: 2, HeadDim: 64, FFN: 768, Vocab: 2048,
		ContextLength: 4096, RopeFreqBase: 10000, RMSNormEps: 1e-5,
	},
	{
		Name: "small", Arch: ArchLlama,
		Layers: 8, Hidden: 512, Heads: 8, KVHeads: 8, HeadDim: 64, FFN: 1536, Vocab: 32000,
		ContextLength: 4096, RopeFreqBase: 10000, RMSNormEps: 1e-5,
	},
	{
		Name: "llama-3.2-1b", Arch: ArchLlama,
		Layers: 16, Hidden: 2048, Heads: 32, KVHeads: 8, HeadDim: 64, FFN: 8192, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling32, RMSNormEps: 1e-5,
		TiedEmbeddings: true,
	},
	{
		Name: "llama-3.2-3b", Arch: ArchLlama,
		Layers: 28, Hidden: 3072, Heads: 24, KVHeads: 8, HeadDim: 128, FFN: 8192, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling32, RMSNormEps: 1e-5,
		TiedEmbeddings: true,
	},
	{
		Name: "llama-3.1-8b", Arch: ArchLlama,
		Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling8, RMSNormEps: 1e-5,
	},
	{
		// Also Llama 3.3 70B, whose config has the same shapes.
		Name: "llama-3.1-70b", Arch: ArchLlama,
		Layers: 80, Hidden: 8192, Heads: 64, KVHeads: 8, HeadDim: 128, FFN: 28672, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling8, RMSNormEps: 1e-5,
	},
	{
		Name: "llama-3.1-405b", Arch: ArchLlama,
		Layers: 126, Hidden: 16384, Heads: 128, KVHeads: 8, HeadDim: 128, FFN: 53248, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling8, RMSNormEps: 1e-5,
	},
	{
		Name: "qwen2.5-0.5b", Arch: ArchQwen2,
		Layers: 24, Hidden: 896, Heads: 14, KVHeads: 2, HeadDim: 64, FFN: 4864, Vocab: 151936,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-6, QKVBias: true, TiedEmbeddings: true,
	},
	{
		// Qwen2.5-7B-Instruct: 32768 context without YaRN.
		Name: "qwen2.5-7b", Arch: ArchQwen2,
		Layers: 28, Hidden: 3584, Heads: 28, KVHeads: 4, HeadDim: 128, FFN: 18944, Vocab: 152064,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-6, QKVBias: true,
	},
	{
		Name: "qwen2.5-14b", Arch: ArchQwen2,
		Layers: 48, Hidden: 5120, Heads: 40, KVHeads: 8, HeadDim: 128, FFN: 13824, Vocab: 152064,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-6, QKVBias: true,
	},
	{
		Name: "qwen2.5-32b", Arch: ArchQwen2,
		Layers: 64, Hidden: 5120, Heads: 40, KVHeads: 8, HeadDim: 128, FFN: 27648, Vocab: 152064,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-6, QKVBias: true,
	},
	{
		Name: "qwen2.5-72b", Arch: ArchQwen2,
		Layers: 80, Hidden: 8192, Heads: 64, KVHeads: 8, HeadDim: 128, FFN: 29568, Vocab: 152064,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-6, QKVBias: true,
	},
	{
		Name: "qwen3-8b", Arch: ArchQwen3,
		Layers: 36, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 12288, Vocab: 151936,
		ContextLength: 40960, RopeFreqBase: 1000000, RMSNormEps: 1e-6,
	},
	{
		// 64 heads of 128: the attention is 8192 wide on a 5120-wide residual stream.
		Name: "qwen3-32b", Arch: ArchQwen3,
		Layers: 64, Hidden: 5120, Heads: 64, KVHeads: 8, HeadDim: 128, FFN: 25600, Vocab: 151936,
		ContextLength: 40960, RopeFreqBase: 1000000, RMSNormEps: 1e-6,
	},
	{
		// Mistral-7B v0.3: the 32768-token vocabulary, no sliding window.
		Name: "mistral-7b", Arch: ArchLlama,
		Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 32768,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-5,
	},
	{
		// Mistral-Small-24B-2501: 32 heads of 128 on a 5120-wide stream.
		Name: "mistral-small-24b", Arch: ArchLlama,
		Layers: 40, Hidden: 5120, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 32768, Vocab: 131072,
		ContextLength: 32768, RopeFreqBase: 100000000, RMSNormEps: 1e-5,
	},
	{
		// Mixtral-8x7B v0.1: llama.cpp runs it as the llama architecture with experts.
		Name: "mixtral-8x7b", Arch: ArchLlama,
		Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 32000,
		Experts: 8, ExpertsUsed: 2,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-5,
	},
	{
		// gpt-oss-20b: 32 experts of 2880, 4 per token; layers alternate a 128-token
		// sliding window (first) and full attention; YaRN to 131072 from 4096.
		Name: "gpt-oss-20b", Arch: ArchGPTOSS,
		Layers: 24, Hidden: 2880, Heads: 64, KVHeads: 8, HeadDim: 64, FFN: 2880, Vocab: 201088,
		Experts: 32, ExpertsUsed: 4, SlidingWindow: 128,
		ContextLength: 131072, RopeFreqBase: 150000, RopeScaling: gptOSSYaRN, RMSNormEps: 1e-5,
		QKVBias: true, OutBias: true,
	},
}
