// The console's state: the agent's open chats and the queue. No DOM, no socket.

/** One chat of the agent: the conversation (handoff packet, customer, times) and its lines. */
export class Chat {
  constructor(conversation) {
    this.id = conversation.id;
    this.conversation = conversation;
    this.lines = [];
    this._seqs = new Set();
  }

  get lastSeq() {
    return this.lines.length ? this.lines[this.lines.length - 1].seq : 0;
  }

  /** Keep the lines not seen yet, in sequence order; returns them (a resend adds nothing). */
  addLines(lines) {
    const fresh = lines.filter((line) => !this._seqs.has(line.seq));
    for (const line of fresh) this._seqs.add(line.seq);
    if (!fresh.length) return [];
    this.lines.push(...fresh);
    this.lines.sort((a, b) => a.seq - b.seq);
    return fresh.sort((a, b) => a.seq - b.seq);
  }
}

export class ConsoleState {
  constructor() {
    this.chats = new Map();
    this.queue = [];
  }

  /** A chat from an `assigned` event or the `state` on connect: `{conversation, transcript}`. */
  upsertChat({ conversation, transcript }) {
    let chat = this.chats.get(conversation.id);
    const isNew = !chat;
    if (isNew) {
      chat = new Chat(conversation);
      this.chats.set(chat.id, chat);
    } else {
      chat.conversation = conversation;
    }
    const fresh = chat.addLines(transcript || []);
    return { chat, isNew, fresh };
  }

  removeChat(conversationId) {
    const chat = this.chats.get(conversationId);
    this.chats.delete(conversationId);
    return chat;
  }
}
