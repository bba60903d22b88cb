// The long conversation the benchmarks share with bench/plan_bench.cpp: 200 messages of 485
// characters, about 97 KiB as a chat body.
const content = 'The quick brown fox jumps over the lazy dog, and then explains its reasoning at some length. '.repeat(5);

const messages = Array.from({ length: 200 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content }));

/** The chat body of that conversation for `model`. */
export const longChatBody = (model) => JSON.stringify({ model, messages });
