/** Who wrote a transcript message (the conversations context's sender kinds). */
export type SenderKind = 'customer' | 'bot' | 'agent' | 'system';

/** One message of a ticket's transcript, as the engine reads it. */
export interface TranscriptMessage {
  id: string;
  /** 1-based position of the message in its ticket (the conversation position). */
  sequence: number;
  sender: SenderKind;
  senderId?: string;
  text: string;
  /** ISO 8601. */
  sentAt: string;
  channel?: string;
  /** BCP 47 tag when the channel knew it. */
  language?: string;
}
