/**
 * When a hook runs: `PreSync` before the main apply (it must succeed for the
 * apply to start), `PostSync` once the applied objects are healthy,
 * `SyncFail` when the sync fails after it started writing.
 */
export type HookPhase = 'PreSync' | 'PostSync' | 'SyncFail';
export type HookDeletePolicy = 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed';
