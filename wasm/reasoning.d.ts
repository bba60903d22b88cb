// TypeScript declarations of the Auto router and the reasoning governor in the reroute module
// (wasm/bindings_reasoning.cpp; spec: reasoning.md). Every function takes one plain object and
// returns plain data; none throws. Field names are the spec's snake_case names, so learned state,
// cache rows and pointers are stored exactly as they come back. An input field of the wrong type
// reads as absent; an optional output field that has no value is absent (never null), except
// where the type says `| null`.
//
//   const reroute = await loadReroute(wasm);
//   const plan = reroute.autoRoutePlan({ candidates, default_slug, message, now_ms, cache_row });
//   // plan.decision ?? call the classifier with plan.classifier, then reroute.autoRoute({...})
//   const g = reroute.govern({ request: { text }, seed, capability, thread, profile, client });
//   Object.assign(upstreamBody, g.patch);              // never a field the client set (5.7)
//   ... after the turn: thread = reroute.recordOutcome({ state: thread, outcome });

export type Tier = 'off' | 'low' | 'medium' | 'high';
export type TurnClass = 'easy' | 'medium' | 'hard';
export type Knob = 'none' | 'effort' | 'budget';
export type Effort = 'low' | 'medium' | 'high';
export type CreativityLevel = 'precise' | 'balanced' | 'creative';
export type Style = 'concise' | 'detailed' | 'formal' | 'friendly';
export type Verbosity = 'terse' | 'normal' | 'verbose';
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | (string & {});

/** The router's coarse advice to the governor (4.4): a prior, never an override. */
export interface Seed {
  effort?: Effort;
  creativity?: CreativityLevel;
}

/** Reported with `cached` and `classified` decisions; never injected into the messages (4.5). */
export interface Advice {
  language?: string;
  tuning?: { style?: Style; verbosity?: Verbosity };
  seed?: Seed;
}

// ---- the Auto router (section 4) ----

export interface Candidate {
  slug: string;
  /** One line shown to the classifier; part of the cache identity. Empty when absent. */
  description?: string;
}

/** A route-cache row (4.6), stored under (tenant, candidates_hash, message_key). */
export interface CacheRow extends Advice {
  slug: string;
  source: 'classified' | 'override';
  hits: number;
  created_at_ms: number;
  last_used_at_ms: number;
}

/** The thread record's `last_auto_route`. */
export interface Pointer {
  message_key: string;
  candidates_hash: string;
  slug: string;
}

export interface RouteInput {
  /** The auto route's existing, non-auto candidates, in configured order. */
  candidates: Candidate[];
  /** Route names the caller may use; absent or empty restricts nothing. */
  allow?: string[];
  default_slug?: string;
  /** Text of the last user message (4.1). */
  message: string;
  now_ms: number;
  /** The row stored at (candidates_hash, message_key), if any. */
  cache_row?: CacheRow | null;
  /** What the classifier call returned; absent counts as an error. */
  classifier?: { outcome: 'ok'; reply?: string } | { outcome: 'timeout' } | { outcome: 'error' };
  /** Adds `why` and `explain`. */
  explain?: boolean;
}

export type RouteReason = 'no_candidates' | 'single_candidate' | 'cached' | 'classified' | 'fallback';

export interface RouteDecision extends Advice {
  /** null only for `no_candidates` (a configuration error at the gateway). */
  slug: string | null;
  reason: RouteReason;
  classifier_called: boolean;
  /** Upsert this row at (candidates_hash, message_key); only after `classified`. */
  cache_write: CacheRow | null;
  /** Write this as the thread's last_auto_route; after `cached` and `classified`. */
  pointer: Pointer | null;
  /** With `explain: true`: the ladder step (1-6) and why it fell back. */
  why?: {
    step: 1 | 2 | 3 | 4 | 5 | 6;
    step_name: 'no_candidates' | 'single_candidate' | 'empty_message' | 'cache' | 'classify' | 'fallback';
    cause?: 'empty_message' | 'timeout' | 'error' | 'unparsable';
    shortlist_dropped?: number;
  };
  /** With `explain: true`: "auto=<slug> reason=<reason> step=<n> (<name>) [cause=...]". */
  explain?: string;
}

/** The classifier call to make (4.3); its target goes through the failover planner. */
export interface ClassifierCall {
  system: string;
  /** The first 4000 code points of the message. */
  user: string;
  shortlist: string[];
  /** The complexity hint in the prompt: the static prior's class of the message. */
  complexity: TurnClass;
  /** 160 */
  max_tokens: number;
  /** The whole classification, failover included: 8000, or a quarter of `deadline_left_ms` when
   *  that is less; 0 when nothing is left (count it as a timeout). */
  timeout_ms: number;
}

// ---- the governor (section 5) ----

/** The request context of 5.2 (`signals` input). */
export interface SignalInput {
  text: string;
  /** An estimate; default ceil(code points / 4). */
  tokens?: number;
  has_attachments?: boolean;
  has_rag?: boolean;
  has_web?: boolean;
  tool_count?: number;
  max_steps?: number;
  agent_type?: string;
  history_message_count?: number;
}

export interface Features {
  tokens: number;
  code_density: number;
  has_math: boolean;
  structure: number;
  hard: number;
  easy: number;
  creative: number;
  analytical: boolean;
  trivial: boolean;
  retrieval: number;
  agentic: number;
  follow_up: number;
  has_attachments: boolean;
}

export interface Thresholds {
  lo: number;
  hi: number;
}

export interface Prior {
  base_intensity: number;
  intensity: number;
  creativity: number;
  class: TurnClass;
  floor: Tier;
  tier: Tier;
  budget: number;
}

/** A Welford accumulator. */
export interface Accumulator {
  count: number;
  mean: number;
  m2: number;
}

export interface Bucket extends Accumulator {
  under_ema: number;
  wasteful_ema: number;
  quality_ema: number;
  last_tier: Tier | null;
}

/**
 * Learned state (5.5), per thread and per (model, agent type) profile. Inputs may be partial;
 * an invalid stored state (wrong types, negative or fractional counts, EMAs outside [0, 1],
 * unknown tier names, non-finite numbers) is treated as absent. Outputs are always complete.
 */
export interface ReasoningState {
  turns: number;
  intensity: Accumulator;
  buckets: { easy: Bucket; medium: Bucket; hard: Bucket };
}
export type StoredState = Partial<Omit<ReasoningState, 'intensity' | 'buckets'>> & {
  intensity?: Partial<Accumulator>;
  buckets?: Partial<Record<TurnClass, Partial<Bucket>>>;
};

/** One finished turn (5.5). */
export interface Outcome {
  class: TurnClass;
  /** The seeded intensity of the turn. */
  intensity: number;
  budget_tokens: number;
  self_truncates: boolean;
  reasoning_tokens?: number;
  output_tokens?: number;
  finish_reason: FinishReason;
  retried?: boolean;
  budget_exhausted?: boolean;
  /** [0, 1], supplied by the embedding. */
  quality?: number;
  chosen_tier?: Tier;
}

/** A model's reasoning capability (3.1); absent or null means knob `none`. */
export interface Capability {
  knob: Knob;
  supports_minimal?: boolean;
  min_budget_tokens?: number;
  max_budget_tokens?: number;
  max_output_tokens?: number;
}

/** What the incoming request set (5.7). */
export interface ClientControls {
  /** The request has `temperature`. */
  temperature?: number;
  /** The request has `reasoning_effort`, `thinking` or `reasoning`: nothing is sent. */
  reasoning?: boolean;
  /** min(max_tokens, max_completion_tokens) when given. */
  max_tokens?: number;
}

/** Merged into the upstream chat-completions body. */
export interface Patch {
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high';
  thinking?: { type: 'enabled'; budget_tokens: number };
  max_tokens?: number;
  temperature?: number;
}

export type DecisionReason = 'utility' | 'cold' | 'cold_quality' | 'warm' | 'bandit' | 'held';

export interface TierDecision {
  tier: Tier;
  budget: number;
  reason: DecisionReason;
  /** With `explain: true`: the controller's view and move. */
  why?: {
    n: number;
    mean: number;
    std: number;
    under: number;
    wasteful: number;
    quality: number;
    eff: number;
    emas_from: 'thread' | 'profile' | 'none';
    last_tier: Tier | null;
    move: 'none' | '+2 strong under' | '+1 under' | '-2 wasteful' | '-1 clean';
    clamped: boolean;
    estimate?: number;
    bumped?: boolean;
    trimmed?: boolean;
    band_lo?: number;
    band_hi?: number;
  };
}

/** What to record for a steerable chat turn (5.7); complete it with `reasoningOutcome`. */
export interface RecordTemplate {
  class: TurnClass;
  intensity: number;
  chosen_tier: Tier;
  budget_tokens: number;
  self_truncates: boolean;
  record_reasoning_tokens: boolean;
}

export interface GovernInput {
  kind?: 'chat' | 'utility';
  request: SignalInput;
  /** The router's seed: auto requests only (3.2). */
  seed?: Seed;
  capability?: Capability | null;
  thread?: StoredState | null;
  profile?: StoredState | null;
  client?: ClientControls;
  /** Adds `why` and `explain` (a slower path). */
  explain?: boolean;
}

export interface Governed {
  prior: Prior;
  thresholds: Thresholds;
  steerable: boolean;
  decision: TierDecision | null;
  applied: boolean;
  patch: Patch;
  record: RecordTemplate | null;
  /** With `explain: true`: the features, each signal's share of the logit, and the floor. */
  why?: {
    features: Features;
    prior: {
      signals: Partial<Record<'length' | 'code' | 'structure' | 'math' | 'hard' | 'easy' | 'retrieval' | 'agentic' |
        'trivial' | 'follow_up', number>>;
      dominant: string;
      z: number;
      damped: boolean;
      seeded: boolean;
      class_capped: boolean;
      floor_raised: boolean;
      floor_from: 'none' | 'code' | 'hard' | 'attachments';
    };
    adaptive_thresholds: boolean;
  };
  /** With `explain: true`: one line for logs, e.g. "tier=medium budget=8192 reason=held; ...". */
  explain?: string;
}

export interface RerouteReasoning {
  // Auto router
  /** Parses a classifier reply against the shortlist (4.4); null when nothing usable is found. */
  parseClassifierReply(input: { reply: string; shortlist: string[] }): (Advice & { slug: string }) | null;
  /** The whole ladder (4.2) with the cache row and the classifier's result known. */
  autoRoute(input: RouteInput): RouteDecision;
  /** Steps 1-3 and the cache key, before any I/O. */
  autoRoutePrepare(input: Omit<RouteInput, 'now_ms' | 'cache_row' | 'classifier'>): {
    decided: RouteDecision | null;
    message_key: string;
    candidates_hash: string;
    shortlist: string[];
  };
  /** Steps 1-4: the decision, or the classifier call to make (then call `autoRoute`). */
  autoRoutePlan(input: Omit<RouteInput, 'classifier'> & {
    /** What is left of the client's deadline, when it set one: the classification gets a quarter of it, at most 8000 ms. */
    deadline_left_ms?: number;
  }): { decision: RouteDecision | null; classifier: ClassifierCall | null };
  /** The upstream body for one classifier attempt, with the utility plan of that model merged in. */
  classifierBody(input: { prompt: { system: string; user: string }; model: string; capability?: Capability | null }): { body: string };
  /** Fold case, collapse whitespace, trim, first 256 code points. */
  routeCacheKey(input: { message: string }): { key: string };
  /** FNV-1a 64 over the sorted candidates, 16 hex digits. */
  candidatesHash(input: { candidates: Candidate[] }): { hash: string };
  /** Freshness only (30 days from created_at_ms). */
  routeCacheRead(input: { row: CacheRow; now_ms: number }): { hit: boolean };
  routeCacheUpsert(input: { row?: CacheRow | null; decision: Advice & { slug: string; source: 'classified' | 'override' }; now_ms: number }): CacheRow;
  /** Override feedback when a thread names a route directly (4.6). */
  routeCacheOverride(input: {
    pointer: Pointer | null;
    message: string;
    pinned_slug: string;
    row?: CacheRow | null;
    now_ms: number;
  }): { row_write: CacheRow | null; pointer: Pointer | null };
  /** Ids to delete, oldest first, at most `batch` (2000). */
  routeCachePurge(input: { rows: { id: string; created_at_ms: number }[]; now_ms: number; max_age_ms?: number; batch?: number }): { delete: string[] };

  // Governor
  reasoningSignals(input: SignalInput): Features;
  reasoningPrior(input: { kind?: 'chat' | 'utility'; features: Partial<Features>; seed?: Seed; thresholds?: Thresholds }): Prior;
  reasoningThresholds(input: { thread?: Partial<Accumulator> | null; profile?: Partial<Accumulator> | null }): Thresholds;
  tierOf(input: { budget: number }): { tier: Tier };
  /** Folds one outcome into a state (null: a new state). */
  recordOutcome(input: { state?: StoredState | null; outcome: Outcome }): ReasoningState;
  /** A score that arrives after its turn was recorded: only that class's quality EMA moves (5.5 step 6). */
  recordQuality(input: { state?: StoredState | null; class: TurnClass; quality: number }): ReasoningState;
  /** A stored state made complete, or null when it is invalid. */
  reasoningState(input: { state: unknown }): ReasoningState | null;
  decideTier(input: {
    knob: 'effort' | 'budget';
    prior: { tier: Tier; budget: number };
    floor: Tier;
    class: TurnClass;
    thread?: StoredState | null;
    profile?: StoredState | null;
    explain?: boolean;
  }): TierDecision;
  wireReasoning(input: { capability: Capability | null; tier: Tier; budget: number; creativity: number; client?: ClientControls }): {
    applied: boolean;
    patch: Patch;
  };
  /** One attempt's governor step (section 7 `govern`): the per-request hot path. */
  govern(input: GovernInput): Governed;
  /**
   * What the router and the governor read from a chat-completions body (4.1, 5.2, 5.7): the last
   * user message (text parts joined by "\n") and its cache key, attachments, web search, tools,
   * history, and the client's own controls. Members that are null count as absent.
   */
  reasoningRequestFacts(input: { body: unknown }): {
    message: string;
    message_key: string;
    has_attachments: boolean;
    has_web: boolean;
    tool_count: number;
    history_message_count: number;
    client: { temperature?: true; reasoning: boolean; max_tokens?: number };
  };
  /** The outcome to record (5.8) from the record template and the upstream response. */
  reasoningOutcome(input: {
    record: RecordTemplate;
    response: {
      /** usage.completion_tokens_details.reasoning_tokens */
      reasoning_tokens?: number;
      /** Characters of reasoning text, when there is no usage count. */
      reasoning_characters?: number;
      /** usage.completion_tokens */
      completion_tokens?: number;
      finish_reason?: FinishReason;
      retried?: boolean;
      quality?: number;
    };
  }): Outcome;
}
