// Persistent notifications (components/persistent_notification) as 2024.3.3 and 2025.4.4 keep them (measured on
// both): the three services' schemas and effects, and what subscribers are told. In memory only: a restart forgets
// them all. Their WebSocket commands are in commands-notifications.ts.

import { type Clock, isoFromMicros } from './clock';
import { CommandError } from './schema';

export interface Notification {
  message: string;
  notification_id: string;
  title: string | null;
  created_at: string;
}

/** `UpdateType`: what a subscriber's event says happened to the notifications it carries. */
export type UpdateType = 'current' | 'added' | 'removed' | 'updated';
type Listener = (type: UpdateType, notifications: Record<string, Notification>) => void;

/** Service → its fields (voluptuous schema keys) and which of them are required; dismiss_all has no schema. */
const SERVICES: Record<string, { fields: string[]; required: string[] } | null> = {
  create: { fields: ['message', 'title', 'notification_id'], required: ['message'] },
  dismiss: { fields: ['notification_id'], required: ['notification_id'] },
  dismiss_all: null,
};

export class PersistentNotifications {
  readonly #items = new Map<string, Notification>();
  readonly #listeners = new Set<Listener>();

  constructor(
    private readonly clock: Clock,
    private readonly legacy: boolean,
  ) {}

  static has(service: string): boolean {
    return service in SERVICES;
  }

  /** For get_services: each service's fields. */
  static fields(): Array<[string, string[]]> {
    return Object.entries(SERVICES).map(([service, s]) => [service, s?.fields ?? []]);
  }

  list(): Notification[] {
    return [...this.#items.values()];
  }

  listen(fn: Listener): () => void {
    this.#listeners.add(fn);
    fn('current', Object.fromEntries(this.#items));
    return () => this.#listeners.delete(fn);
  }

  /** An HA restart: nothing is kept, and nobody is told (every subscriber's connection is gone). */
  clear(): void {
    this.#items.clear();
  }

  /** Validates `data` as the service's schema does (before anything happens), then runs it. */
  validate(service: string, data: Record<string, unknown>): () => void {
    const spec = SERVICES[service];
    if (!spec) return () => this.#dismissAll();
    for (const key of Object.keys(data))
      if (!spec.fields.includes(key))
        throw new CommandError('invalid_format', `extra keys not allowed @ data['${key}']`);
    for (const key of spec.required)
      if (data[key] === undefined)
        throw new CommandError('invalid_format', `required key not provided @ data['${key}']`);
    const text = Object.fromEntries(
      Object.entries(data).map(([key, v]) => [key, v === undefined ? undefined : this.#string(key, v)]),
    );
    if (service === 'create')
      return () => this.#create(text['message'] as string, text['title'] ?? null, text['notification_id']);
    return () => this.#dismiss(text['notification_id'] as string);
  }

  /** `cv.string` (2024.3.3 tries a template first, hence its word): numbers and booleans become Python's text. */
  #string(key: string, v: unknown): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    const template = this.legacy && key !== 'notification_id';
    const why =
      v === null
        ? template
          ? 'template value is None'
          : 'string value is None'
        : `${template ? 'template ' : ''}value should be a string`;
    throw new CommandError('invalid_format', `${why} for dictionary value @ data['${key}']`);
  }

  #create(message: string, title: string | null, id: string | undefined): void {
    const notificationId = id ?? crypto.randomUUID().replaceAll('-', '');
    // Re-creating an id replaces it in place (a Python dict keeps the key's position); subscribers see `added`.
    const n: Notification = {
      message,
      notification_id: notificationId,
      title,
      created_at: isoFromMicros(this.clock.now()),
    };
    this.#items.set(notificationId, n);
    this.#emit('added', { [notificationId]: n });
  }

  #dismiss(id: string): void {
    const n = this.#items.get(id);
    if (!n) return; // no error for an unknown id
    this.#items.delete(id);
    this.#emit('removed', { [id]: n });
  }

  #dismissAll(): void {
    const all = Object.fromEntries(this.#items);
    this.#items.clear();
    this.#emit('removed', all);
  }

  #emit(type: UpdateType, notifications: Record<string, Notification>): void {
    for (const fn of [...this.#listeners]) fn(type, notifications);
  }
}
