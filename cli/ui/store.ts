import { reducer } from './reducer.js'
import type { Action } from './reducer.js'
import type { AppState } from './state.js'

/** A state holder: a reducer applied to dispatched actions, with change listeners (for React's useSyncExternalStore). */
export interface StateStore<S, A> {
  getState(): S
  dispatch(action: A): void
  subscribe(listener: () => void): () => void
}

export type Store = StateStore<AppState, Action>

export function createStateStore<S, A> (reduce: (state: S, action: A) => S, initial: S): StateStore<S, A> {
  let state = initial
  const listeners = new Set<() => void>()
  return {
    getState: () => state,
    dispatch: action => {
      const next = reduce(state, action)
      if (next === state) return
      state = next
      for (const l of listeners) l()
    },
    subscribe: listener => {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}

/** The main UI's store. */
export function createStore (initial: AppState): Store {
  return createStateStore(reducer, initial)
}
