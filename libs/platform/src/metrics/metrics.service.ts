import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Options of a metric: its name, help text and label names. */
export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** Options of a histogram: a metric plus its bucket bounds. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  buckets?: number[];
}

/**
 * The application's Prometheus registry and a small API to declare metrics in it. Each app owns its
 * registry (not prom-client's global one) so several apps can run in one process, as tests do.
 * Declaring the same metric twice returns the first one, so libraries can declare what they use
 * without coordinating (consumer lag, relay lag, DLQ counts, handoffs).
 */
export class MetricsService {
  /** The registry that `/metrics` serves. */
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(options: { defaultMetrics?: boolean; prefix?: string } = {}) {
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({
        register: this.registry,
        ...(options.prefix ? { prefix: options.prefix } : {}),
      });
    }
    const labelNames = ['method', 'route', 'status_code'] as const;
    this.httpRequests = this.counter({
      name: 'http_requests_total',
      help: 'HTTP requests handled',
      labelNames,
    });
    this.httpDuration = this.histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration, from receipt to response',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  /** A counter in this app's registry (the existing one when already declared). */
  counter<L extends string = string>(options: MetricOptions<L>): Counter<L> {
    return (
      this.existing(options.name, Counter) ??
      new Counter<L>({ ...options, labelNames: options.labelNames ?? [], registers: [this.registry] })
    );
  }

  /** A gauge in this app's registry; `collect` may set it at scrape time (e.g. lag). */
  gauge<L extends string = string>(
    options: MetricOptions<L> & { collect?: (this: Gauge<L>) => void | Promise<void> },
  ): Gauge<L> {
    return (
      this.existing(options.name, Gauge) ??
      new Gauge<L>({
        name: options.name,
        help: options.help,
        labelNames: options.labelNames ?? [],
        registers: [this.registry],
        ...(options.collect ? { collect: options.collect } : {}),
      })
    );
  }

  /** A histogram in this app's registry. */
  histogram<L extends string = string>(options: HistogramOptions<L>): Histogram<L> {
    return (
      this.existing(options.name, Histogram) ??
      new Histogram<L>({
        name: options.name,
        help: options.help,
        labelNames: options.labelNames ?? [],
        registers: [this.registry],
        ...(options.buckets ? { buckets: options.buckets } : {}),
      })
    );
  }

  /** Records one finished HTTP request. `route` is the route pattern, never the raw URL (cardinality). */
  observeHttpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  private existing<M>(name: string, type: abstract new (...args: never[]) => M): M | undefined {
    const metric = this.registry.getSingleMetric(name);
    if (metric === undefined) return undefined;
    if (!(metric instanceof type)) throw new Error(`metric ${name} is already declared with another type`);
    return metric;
  }
}
