// The widget's styles, adopted by its shadow root: the host page's CSS does not reach inside,
// and `all: initial` on the host stops inherited fonts and colours from leaking in.
export const css = `
:host { all: initial; }
* { box-sizing: border-box; font-family: -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Helvetica Neue", Arial, sans-serif; }
[hidden] { display: none !important; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: flex; align-items: center; gap: 8px;
  padding: 12px 18px; border: 0; border-radius: 24px; background: #1a56db; color: #fff; font-size: 15px; cursor: pointer;
  box-shadow: 0 6px 20px rgba(0,0,0,.2); }
.launcher:hover { background: #1e429f; }
.panel { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 360px; max-width: calc(100vw - 24px);
  height: 520px; max-height: calc(100vh - 40px); display: flex; flex-direction: column; background: #fff; color: #1f2937;
  border-radius: 12px; box-shadow: 0 12px 40px rgba(0,0,0,.25); overflow: hidden; font-size: 14px; line-height: 1.5; }
.header { display: flex; align-items: center; gap: 8px; padding: 12px 14px; background: #1a56db; color: #fff; }
.title { font-weight: 600; font-size: 15px; }
.status { font-size: 12px; opacity: .9; margin-right: auto; }
.status::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 4px; background: #9ca3af; }
.status[data-state="online"]::before { background: #31c48d; }
.status[data-state="offline"]::before { background: #f59e0b; }
.close { border: 0; background: transparent; color: #fff; font-size: 22px; line-height: 1; cursor: pointer; padding: 0 4px; }
.notice { padding: 8px 14px; background: #fef3c7; color: #92400e; font-size: 13px; }
.messages { flex: 1; margin: 0; padding: 12px; list-style: none; overflow-y: auto; background: #f3f4f6; }
.message { display: flex; flex-direction: column; margin: 6px 0; max-width: 85%; }
.message.from-visitor { margin-left: auto; align-items: flex-end; }
.message.from-agent { align-items: flex-start; }
.author { font-size: 12px; color: #6b7280; margin: 0 4px 2px; }
.bubble { padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; word-break: break-word; }
.from-visitor .bubble { background: #1a56db; color: #fff; border-bottom-right-radius: 4px; }
.from-agent .bubble { background: #fff; color: #1f2937; border-bottom-left-radius: 4px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
.message[data-state="pending"] .bubble { opacity: .6; }
.message[data-state="failed"] .bubble { background: #fde8e8; color: #9b1c1c; }
.failed { font-size: 12px; color: #9b1c1c; margin-top: 2px; }
.typing { padding: 4px 14px; font-size: 12px; color: #6b7280; background: #f3f4f6; }
.composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e5e7eb; background: #fff; }
.input, .field input, .offline textarea { flex: 1; width: 100%; padding: 8px 10px; border: 1px solid #d1d5db; border-radius: 8px;
  font-size: 14px; resize: none; color: #1f2937; background: #fff; }
.input:focus, .field input:focus, .offline textarea:focus { outline: 2px solid #a4cafe; border-color: #1a56db; }
.send { padding: 8px 16px; border: 0; border-radius: 8px; background: #1a56db; color: #fff; font-size: 14px; cursor: pointer; }
.send.wide { width: 100%; margin-top: 4px; }
.offline { padding: 12px 14px; overflow-y: auto; border-top: 1px solid #e5e7eb; }
.offline-intro { margin: 0 0 8px; color: #374151; }
.field { display: block; margin-bottom: 8px; }
.field span { display: block; font-size: 12px; color: #6b7280; margin-bottom: 2px; }
.error { color: #9b1c1c; font-size: 13px; margin: 4px 0; }
`;
