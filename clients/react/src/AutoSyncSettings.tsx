/** `<AutoSyncSettings>`: the auto-sync settings card of the CRM's Contacts page. */
import { useEffect, useId, useMemo, useState, type ReactNode } from "react";
import { PulseClient, describeJobProgress, describeJobResult, type Job } from "@pulse-sync/client";

import { usePulseClientOrNull } from "./PulseProvider.js";
import { useAutoSync, type UseAutoSyncOptions } from "./useAutoSync.js";
import {
  CONNECTION_LABELS,
  PRESET_INTERVALS,
  connectionText,
  formatTime,
  hours,
  nextSyncText,
  pausedText,
} from "./texts.js";

/** The card's props: where pulse-sync is, whose settings, and optional hooks into the page. */
export interface AutoSyncSettingsProps extends UseAutoSyncOptions {
  /** The pulse-sync server, e.g. `https://sync.example.com` (ignored when `client` is given; without either, the nearest `<PulseProvider>`'s client). */
  apiUrl?: string;
  /** An API key of the workspace (ignored when `client` is given). */
  apiKey?: string;
  /** A client of your own instead of `apiUrl` and `apiKey`. */
  client?: PulseClient;
  /** The workspace: the CRM user whose Google Contacts sync. */
  workspaceId: string;
  /** The card's heading (default "Automatic Sync"). */
  title?: string;
  /** Added to the card's class, e.g. to place it in the page's grid. */
  className?: string;
  /** Hide the recent jobs table. */
  hideJobs?: boolean;
}

/**
 * The auto-sync card: toggle, interval, next sync, last sync, Sync now with its progress, recent
 * jobs and the Google connection. Import `@pulse-sync/react/styles.css` once; theme it with the
 * `--pulse-*` CSS variables.
 */
export function AutoSyncSettings(props: AutoSyncSettingsProps): ReactNode {
  const { apiUrl, apiKey, client: given, workspaceId, title = "Automatic Sync", className, hideJobs, ...options } = props;
  const provided = usePulseClientOrNull();
  const client = useMemo(() => {
    if (given) return given;
    if (apiUrl && apiKey) return new PulseClient({ baseUrl: apiUrl, apiKey });
    if (provided) return provided;
    throw new Error("AutoSyncSettings needs apiUrl and apiKey, a client, or a <PulseProvider> around it");
  }, [given, apiUrl, apiKey, provided]);
  const state = useAutoSync(client, workspaceId, options);
  const ids = useIds();
  const classes = ["pulse-sync", className].filter(Boolean).join(" ");

  if (state.status === "loading" && !state.config) {
    return (
      <section className={classes} aria-labelledby={ids.title} aria-busy="true">
        <h2 id={ids.title} className="pulse-sync__title">{title}</h2>
        <div className="pulse-sync__skeleton" role="status" aria-label="Loading auto-sync settings">
          <div className="pulse-sync__bar pulse-sync__bar--60" />
          <div className="pulse-sync__bar pulse-sync__bar--80" />
          <div className="pulse-sync__bar pulse-sync__bar--40" />
        </div>
      </section>
    );
  }

  if (state.status === "error" || !state.config) {
    return (
      <section className={classes} aria-labelledby={ids.title}>
        <h2 id={ids.title} className="pulse-sync__title">{title}</h2>
        <div className="pulse-sync__load-error" role="alert">
          <p className="pulse-sync__load-error-title">Could not load auto-sync settings</p>
          <p className="pulse-sync__load-error-message">{state.loadError?.message}</p>
          {state.loadError?.refused ? null : (
            <button type="button" className="pulse-sync__button pulse-sync__button--primary" onClick={() => void state.reload()}>
              Try again
            </button>
          )}
        </div>
      </section>
    );
  }

  const config = state.config;
  const paused = pausedText(config);
  const running = state.activeJob;
  const last = state.jobs.find((job) => job.status === "completed" || job.status === "failed");

  return (
    <section className={classes} aria-labelledby={ids.title} aria-busy={state.saving ? "true" : undefined}>
      <div className="pulse-sync__row">
        <h2 id={ids.title} className="pulse-sync__title">{title}</h2>
        <button
          type="button"
          role="switch"
          className="pulse-sync__switch"
          aria-checked={config.enabled}
          aria-labelledby={ids.title}
          onClick={() => void state.setEnabled(!config.enabled)}
        >
          <span className="pulse-sync__switch-label">{config.enabled ? "ON" : "OFF"}</span>
        </button>
      </div>
      <p className="pulse-sync__muted pulse-sync__interval-text">
        Sync contacts from Google every {hours(config.interval_hours)}
      </p>
      <IntervalSelector
        id={ids.interval}
        customId={ids.custom}
        value={config.interval_hours}
        onChoose={(value) => void state.setIntervalHours(value)}
        onRefuse={(text) => state.setSettingsMessage({ text, error: true })}
      />
      <p className="pulse-sync__line pulse-sync__next-sync">{nextSyncText(config)}</p>
      {paused ? <p className="pulse-sync__warning pulse-sync__paused">{paused}</p> : null}
      <p className="pulse-sync__line pulse-sync__last-sync">
        {last ? `Last sync: ${formatTime(last.finished_at ?? last.created_at)} · ${describeJobResult(last)}` : "Last sync: never"}
      </p>
      <p
        className={`pulse-sync__message pulse-sync__settings-message${state.settingsMessage.error ? " pulse-sync__message--error" : ""}`}
        role="status"
        aria-live="polite"
      >
        {state.settingsMessage.text}
      </p>

      <div className="pulse-sync__part pulse-sync__google" role="group" aria-labelledby={ids.google}>
        <div className="pulse-sync__row">
          <h3 id={ids.google} className="pulse-sync__subtitle">Google account</h3>
          <span className={`pulse-sync__badge pulse-sync__badge--${config.connection}`}>{CONNECTION_LABELS[config.connection]}</span>
        </div>
        <p className="pulse-sync__muted pulse-sync__connection-text">{connectionText(config)}</p>
        {config.connection === "connected" ? null : (
          <button type="button" className="pulse-sync__button pulse-sync__button--primary pulse-sync__connect" onClick={() => void state.connect()}>
            {config.connection === "reauth_required" ? "Reconnect" : "Connect Google"}
          </button>
        )}
      </div>

      <div className="pulse-sync__part pulse-sync__sync" role="group" aria-labelledby={ids.sync}>
        <div className="pulse-sync__row">
          <h3 id={ids.sync} className="pulse-sync__subtitle">Sync now</h3>
          <button
            type="button"
            className="pulse-sync__button pulse-sync__button--primary pulse-sync__sync-now"
            disabled={running !== null}
            onClick={() => void state.syncNow()}
          >
            Sync now
          </button>
        </div>
        {running ? <Progress job={running} labelId={ids.progress} /> : null}
        <p
          className={`pulse-sync__message pulse-sync__sync-result${state.syncResult.error ? " pulse-sync__message--error" : ""}`}
          role="status"
          aria-live="polite"
        >
          {state.syncResult.text}
        </p>
      </div>

      {hideJobs ? null : <RecentJobs jobs={withActive(state.jobs, running)} titleId={ids.jobs} />}
    </section>
  );
}

/** The recent jobs with the followed one first, current as its polls come in. */
function withActive(jobs: Job[], active: Job | null): Job[] {
  if (!active) return jobs;
  return [active, ...jobs.filter((job) => job.id !== active.id)];
}

function useIds() {
  const base = useId();
  return {
    title: `${base}-title`,
    interval: `${base}-interval`,
    custom: `${base}-custom`,
    google: `${base}-google`,
    sync: `${base}-sync`,
    progress: `${base}-progress`,
    jobs: `${base}-jobs`,
  };
}

interface IntervalSelectorProps {
  id: string;
  customId: string;
  value: number;
  onChoose: (hours: number) => void;
  onRefuse: (text: string) => void;
}

function IntervalSelector({ id, customId, value, onChoose, onRefuse }: IntervalSelectorProps): ReactNode {
  const preset = (PRESET_INTERVALS as readonly number[]).includes(value);
  const [custom, setCustom] = useState(!preset);
  const [draft, setDraft] = useState(String(value));
  useEffect(() => {
    setCustom(!(PRESET_INTERVALS as readonly number[]).includes(value));
    setDraft(String(value));
  }, [value]);
  const apply = () => {
    const chosen = Number(draft);
    if (!Number.isInteger(chosen) || chosen < 1 || chosen > 720) {
      onRefuse("Choose a whole number of hours from 1 to 720.");
      return;
    }
    onChoose(chosen);
  };
  return (
    <div className="pulse-sync__row pulse-sync__interval-row">
      <label htmlFor={id} className="pulse-sync__label">Sync every</label>
      <select
        id={id}
        className="pulse-sync__select"
        value={custom ? "custom" : String(value)}
        onChange={(event) => {
          if (event.target.value === "custom") {
            setCustom(true);
            return;
          }
          setCustom(false);
          onChoose(Number(event.target.value));
        }}
      >
        {PRESET_INTERVALS.map((option) => (
          <option key={option} value={String(option)}>{hours(option)}</option>
        ))}
        <option value="custom">Custom…</option>
      </select>
      {custom ? (
        <span className="pulse-sync__custom">
          <label htmlFor={customId} className="pulse-sync__visually-hidden">Custom interval in hours</label>
          <input
            id={customId}
            className="pulse-sync__input"
            type="number"
            min={1}
            max={720}
            step={1}
            inputMode="numeric"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter") apply();
            }}
          />
          <button type="button" className="pulse-sync__button" onClick={apply}>Apply</button>
        </span>
      ) : null}
    </div>
  );
}

function Progress({ job, labelId }: { job: Job; labelId: string }): ReactNode {
  const text = describeJobProgress(job);
  return (
    <div className="pulse-sync__progress">
      <div
        className="pulse-sync__progress-track pulse-sync__progress-track--indeterminate"
        role="progressbar"
        aria-label="Sync progress"
        aria-describedby={labelId}
        aria-valuetext={text}
      >
        <div className="pulse-sync__progress-fill" />
      </div>
      <p id={labelId} className="pulse-sync__muted pulse-sync__progress-text" aria-live="polite">{text}</p>
    </div>
  );
}

function RecentJobs({ jobs, titleId }: { jobs: Job[]; titleId: string }): ReactNode {
  return (
    <div className="pulse-sync__part pulse-sync__jobs">
      <h3 id={titleId} className="pulse-sync__subtitle">Recent syncs</h3>
      <div className="pulse-sync__table-wrap">
        <table className="pulse-sync__table" aria-labelledby={titleId}>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Trigger</th>
              <th scope="col">Status</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {jobs.length === 0 ? (
              <tr>
                <td colSpan={4}>No syncs yet</td>
              </tr>
            ) : (
              jobs.map((job) => (
                <tr key={job.id}>
                  <td>{formatTime(job.started_at ?? job.created_at)}</td>
                  <td>{job.trigger}</td>
                  <td className={`pulse-sync__status pulse-sync__status--${job.status}`}>{job.status}</td>
                  <td>{job.status === "queued" || job.status === "running" ? `${job.fetched.toLocaleString("en-US")} fetched…` : describeJobResult(job)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
