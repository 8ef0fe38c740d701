// The decider of a ticket's brief stream (`brief-<ticketId>`): brief versions and repeat detections.
// Idempotent by construction: a redelivered trigger decides nothing.

import type { BriefContent } from './brief/brief.types';
import type { RepeatFinding } from './repeat/repeat-detector';

export type BriefTrigger = 'handoff_requested' | 'on_demand' | 'incremental';

export interface EngineRef {
  name: string;
  version: string;
}

export interface BriefVersionRecordedData {
  briefId: string;
  version: number;
  trigger: BriefTrigger;
  handoffId?: string;
  /** Messages of the ticket known at recording time with a sequence above `content.coversPosition`. */
  messagesSinceCovered: number;
  content: BriefContent;
  engine: EngineRef;
  redacted: boolean;
  preparedAt: string;
}

export interface RepeatDetectedData extends RepeatFinding {
  detectionId: string;
  handoffId: string;
  messageId: string;
  brief?: { briefId: string; version: number };
  detectedAt: string;
}

export type BriefStreamEvent =
  | { type: 'BriefVersionRecorded'; data: BriefVersionRecordedData }
  | { type: 'RepeatDetected'; data: RepeatDetectedData };

export type BriefStreamCommand =
  | {
      type: 'RecordBrief';
      briefId: string;
      trigger: BriefTrigger;
      handoffId?: string;
      messagesSinceCovered: number;
      content: BriefContent;
      engine: EngineRef;
      redacted: boolean;
      now: Date;
    }
  | {
      type: 'RecordRepeat';
      detectionId: string;
      handoffId: string;
      messageId: string;
      finding: RepeatFinding;
      now: Date;
    };

export interface BriefStreamState {
  version: number;
  lastBrief?: { briefId: string; version: number; coversPosition: number };
  /** Handoff id → the brief prepared for it. */
  handoffBriefs: Record<string, { briefId: string; version: number; coversPosition: number }>;
  /** `${handoffId}/${messageId}` of every detection recorded. */
  detections: Record<string, true>;
}

export const initialBriefStreamState = (): BriefStreamState => ({
  version: 0,
  handoffBriefs: {},
  detections: {},
});

export function evolveBriefStream(state: BriefStreamState, event: BriefStreamEvent): BriefStreamState {
  switch (event.type) {
    case 'BriefVersionRecorded': {
      const ref = {
        briefId: event.data.briefId,
        version: event.data.version,
        coversPosition: event.data.content.coversPosition,
      };
      return {
        ...state,
        version: event.data.version,
        lastBrief: ref,
        handoffBriefs: event.data.handoffId
          ? { ...state.handoffBriefs, [event.data.handoffId]: ref }
          : state.handoffBriefs,
      };
    }
    case 'RepeatDetected':
      return {
        ...state,
        detections: { ...state.detections, [`${event.data.handoffId}/${event.data.messageId}`]: true },
      };
    default:
      return state;
  }
}

export function decideBriefStream(command: BriefStreamCommand, state: BriefStreamState): BriefStreamEvent[] {
  switch (command.type) {
    case 'RecordBrief': {
      if (command.trigger === 'handoff_requested' && command.handoffId !== undefined) {
        const existing = state.handoffBriefs[command.handoffId];
        // A redelivered request, or one whose brief already covers as much: nothing new to say.
        if (existing && existing.coversPosition >= command.content.coversPosition) return [];
      }
      if (
        command.trigger === 'incremental' &&
        state.lastBrief &&
        state.lastBrief.coversPosition >= command.content.coversPosition
      )
        return [];
      const data: BriefVersionRecordedData = {
        briefId: command.briefId,
        version: state.version + 1,
        trigger: command.trigger,
        messagesSinceCovered: command.messagesSinceCovered,
        content: command.content,
        engine: command.engine,
        redacted: command.redacted,
        preparedAt: command.now.toISOString(),
      };
      if (command.handoffId !== undefined) data.handoffId = command.handoffId;
      return [{ type: 'BriefVersionRecorded', data }];
    }
    case 'RecordRepeat': {
      if (state.detections[`${command.handoffId}/${command.messageId}`]) return [];
      const data: RepeatDetectedData = {
        ...command.finding,
        detectionId: command.detectionId,
        handoffId: command.handoffId,
        messageId: command.messageId,
        detectedAt: command.now.toISOString(),
      };
      const brief = state.handoffBriefs[command.handoffId];
      if (brief) data.brief = { briefId: brief.briefId, version: brief.version };
      return [{ type: 'RepeatDetected', data }];
    }
    default:
      return [];
  }
}

export const briefStreamDecider = {
  decide: decideBriefStream,
  evolve: evolveBriefStream,
  initialState: initialBriefStreamState,
};

export const briefStreamName = (ticketId: string): string => `brief-${ticketId}`;
