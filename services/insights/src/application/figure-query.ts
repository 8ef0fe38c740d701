import {
  dimensionOf,
  timeWindow,
  type Dimension,
  type Figure,
  type TimeWindow,
} from '../domain/figure-definitions';
import { InvalidInsightQuery } from './insight-query.errors';

/** A validated figure query: whose, over which window, broken down by what. */
export interface FigureQuery {
  tenantId: string;
  window: TimeWindow;
  by: Dimension | undefined;
}

/** Turns raw query parameters into a {@link FigureQuery} or throws a coded 400. */
export function toFigureQuery(
  figure: Figure,
  tenantId: string,
  params: { from?: string; to?: string; by?: string },
  now: Date,
): FigureQuery {
  const window = timeWindow(params.from, params.to, now);
  if (!window.ok) throw new InvalidInsightQuery(window.code, window.detail, 'from/to');
  const by = dimensionOf(figure, params.by);
  if (!by.ok) throw new InvalidInsightQuery(by.code, by.detail, 'by');
  return { tenantId, window: window.value, by: by.value };
}
