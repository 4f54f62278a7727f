/**
 * A searchable picker (WAI-ARIA combobox with a listbox): typing asks `search` after a pause, arrows
 * move, Enter picks, Escape closes the list (and only the list).
 */
import React, { useEffect, useId, useRef, useState } from 'react';
import { useServices } from '../services';

export interface Option {
  value: string;
  label: string;
  detail?: string;
}

export interface ComboboxProps {
  label: string;
  search: (text: string) => Promise<Option[]>;
  onSelect: (option: Option) => void;
  /** Text shown for the current choice. */
  selectedLabel?: string;
  placeholder?: string;
  disabled?: boolean;
  /** Clears the text after a pick (multi-value pickers). */
  clearOnSelect?: boolean;
  required?: boolean;
}

export function Combobox(props: ComboboxProps): React.ReactElement {
  const { debounceMs } = useServices();
  const id = useId();
  const [text, setText] = useState(props.selectedLabel ?? '');
  const [open, setOpen] = useState(false);
  const [options, setOptions] = useState<Option[]>([]);
  const [active, setActive] = useState(-1);
  const [status, setStatus] = useState<'idle' | 'loading' | 'error'>('idle');
  const request = useRef(0);
  const search = useRef(props.search);
  search.current = props.search;

  useEffect(() => setText(props.selectedLabel ?? ''), [props.selectedLabel]);

  const query = useRef<string | null>(null);
  useEffect(() => {
    if (!open || query.current === null) return;
    const wanted = query.current;
    const ticket = ++request.current;
    setStatus('loading');
    const timer = setTimeout(() => {
      search
        .current(wanted)
        .then((found) => {
          if (ticket !== request.current) return; // an answer to an older query
          setOptions(found);
          setActive(found.length ? 0 : -1);
          setStatus('idle');
        })
        .catch(() => {
          if (ticket === request.current) setStatus('error');
        });
    }, debounceMs);
    return () => {
      clearTimeout(timer);
      request.current++; // a closed or retyped search ignores the answer it was waiting for
    };
  }, [open, text, debounceMs]);

  const ask = (value: string) => {
    query.current = value;
    setText(value);
    setOpen(true);
  };
  const pick = (option: Option) => {
    props.onSelect(option);
    setText(props.clearOnSelect ? '' : option.label);
    setOpen(false);
    query.current = null;
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (!open) ask(text);
      else setActive((index) => Math.min(options.length - 1, index + 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((index) => Math.max(0, index - 1));
    } else if (event.key === 'Enter' && open) {
      event.preventDefault();
      const option = options[active];
      if (option) pick(option);
    } else if (event.key === 'Escape' && open) {
      event.stopPropagation();
      event.nativeEvent.stopImmediatePropagation();
      setOpen(false);
    }
  };

  const listId = `${id}-list`;
  return (
    <div className="glb-field glb-combo">
      <label htmlFor={`${id}-input`}>{props.label}</label>
      <input
        id={`${id}-input`}
        className="glb-input"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open && active >= 0 ? `${id}-option-${active}` : undefined}
        aria-required={props.required || undefined}
        autoComplete="off"
        value={text}
        placeholder={props.placeholder ?? 'Type to search'}
        disabled={props.disabled}
        onChange={(event) => ask(event.target.value)}
        onFocus={() => {
          // Focusing shows the first matches; a shown choice is not a search term.
          query.current = text === (props.selectedLabel ?? '') ? '' : text;
          setOpen(true);
        }}
        onBlur={() => {
          setOpen(false);
          if (!props.clearOnSelect) setText(props.selectedLabel ?? '');
        }}
        onKeyDown={onKeyDown}
      />
      {open ? (
        <ul id={listId} role="listbox" aria-label={props.label} className="glb-options">
          {status === 'loading' && options.length === 0 ? <li className="glb-option glb-muted">Searching…</li> : null}
          {status === 'error' ? <li className="glb-option glb-error">The search failed.</li> : null}
          {status === 'idle' && options.length === 0 ? <li className="glb-option glb-muted">No matches</li> : null}
          {options.map((option, index) => (
            <li
              key={option.value}
              id={`${id}-option-${index}`}
              role="option"
              aria-selected={index === active}
              className="glb-option"
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => pick(option)}
            >
              {option.label}
              {option.detail ? <span className="glb-muted">{` · ${option.detail}`}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Several values picked with a combobox, shown as removable chips. */
export function MultiPicker({
  label,
  search,
  values,
  onChange,
  disabled,
}: {
  label: string;
  search: (text: string) => Promise<Option[]>;
  values: Option[];
  onChange: (values: Option[]) => void;
  disabled?: boolean;
}): React.ReactElement {
  return (
    <div className="glb-field">
      <Combobox
        label={label}
        search={search}
        disabled={disabled}
        clearOnSelect
        onSelect={(option) => {
          if (!values.some((value) => value.value === option.value)) onChange([...values, option]);
        }}
      />
      {values.length ? (
        <div className="glb-chips">
          {values.map((value) => (
            <span key={value.value} className="glb-badge">
              {value.label}
              <button
                type="button"
                className="glb-btn-icon glb-btn"
                aria-label={`Remove ${value.label}`}
                onClick={() => onChange(values.filter((other) => other.value !== value.value))}
              >
                ×
              </button>
            </span>
          ))}
        </div>
      ) : null}
    </div>
  );
}
