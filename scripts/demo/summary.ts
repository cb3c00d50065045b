/**
 * The demo's JSON summary (`--summary FILE`): what the narration claimed, in a form a test
 * checks against the daemons' own stores (test/integration/demo.test.ts).
 */
import type { Features } from './world.js'

/** How a message reached one recipient, as the narration said. */
export type Route = 'direct' | 'cache-server' | 'co-recipient' | 'retried-direct'

export interface AttachmentClaim {
  name: string
  size: number
  sha256: string
  /** Kept on the sender and pulled by the recipient (a blob), not inside the message. */
  large: boolean
}

export interface MessageClaim {
  /** What the demo calls it ("photos", "slides", "dinner", "reply"). */
  key: string
  subject: string
  messageId: string
  from: string
  /** Outbox id on the sender. */
  outboxId: string
  recipients: Array<{ name: string, route: Route, holder?: string, received: boolean }>
  attachments: AttachmentClaim[]
}

export interface StageClaim {
  id: string
  title: string
  /** False when this build lacks the feature the stage shows (`note` says which). */
  available: boolean
  note?: string
  seconds: number
}

export interface DemoSummary {
  ok: boolean
  seconds: number
  root: string
  features: Features
  server: { peerId: string }
  users: Array<{ name: string, peerId: string, home: string }>
  stages: StageClaim[]
  messages: MessageClaim[]
  /** Folder counts per user at the end, as the demo's table showed them. */
  counts: Record<string, { inbox: number, sent: number, largeHere: number }>
}
