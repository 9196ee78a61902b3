/**
 * The "Preference Data" view: every .jsonl / .jsonl.gz file in the workspace, with its size. A file
 * watcher keeps it current; when it is empty the view's welcome content (package.json) shows.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandId, ViewId } from './commandIds';
import { EXCLUDE_GLOB, PREFERENCE_FILES_GLOB, formatBytes, isGzipFileName } from './report';

const VIEW_ID: ViewId = 'rewardStudio.datasets';
const SHOW_STATS: CommandId = 'rewardStudio.showStats';
/** package.json menus show the file commands on items with this context value. */
export const PREFERENCE_FILE_CONTEXT = 'preferenceFile';
/** A workspace with more files than this lists the first ones only. */
const MAX_FILES = 2000;
/** Appending annotators write often: coalesce watcher events. */
const REFRESH_DELAY_MS = 500;

/** One file in the view. Commands invoked on an item receive this node. */
export interface PreferenceFileNode {
  readonly uri: vscode.Uri;
  readonly size: number | undefined;
  /** Workspace-relative path (with the folder name in a multi-root workspace). */
  readonly relativePath: string;
}

export function isPreferenceFileNode(value: unknown): value is PreferenceFileNode {
  return (
    typeof value === 'object' && value !== null && (value as { uri?: unknown }).uri instanceof vscode.Uri
  );
}

export class DatasetsView implements vscode.TreeDataProvider<PreferenceFileNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(PREFERENCE_FILES_GLOB);
    const soon = (): void => this.scheduleRefresh();
    this.disposables.push(
      this.changed,
      vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this }),
      watcher,
      watcher.onDidCreate(soon),
      watcher.onDidDelete(soon),
      watcher.onDidChange(soon), // sizes change
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    );
  }

  refresh(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.changed.fire();
  }

  getTreeItem(node: PreferenceFileNode): vscode.TreeItem {
    const fileName = path.basename(node.uri.fsPath);
    const item = new vscode.TreeItem(fileName, vscode.TreeItemCollapsibleState.None);
    item.id = node.uri.toString();
    item.resourceUri = node.uri; // file icon from the theme, problem decorations from diagnostics
    const folder = path.posix.dirname(node.relativePath);
    const size = node.size === undefined ? '' : formatBytes(node.size);
    item.description = folder === '.' ? size : [size, folder].filter(Boolean).join(' · ');
    item.tooltip = size ? `${node.relativePath} — ${size}` : node.relativePath;
    item.contextValue = PREFERENCE_FILE_CONTEXT;
    // A gzipped file is binary in an editor: its stats are what a click can usefully show.
    item.command = isGzipFileName(fileName)
      ? { command: SHOW_STATS, title: 'Show Preference Data Stats', arguments: [node] }
      : { command: 'vscode.open', title: 'Open', arguments: [node.uri] };
    return item;
  }

  async getChildren(element?: PreferenceFileNode): Promise<PreferenceFileNode[]> {
    if (element) return [];
    const uris = await vscode.workspace.findFiles(PREFERENCE_FILES_GLOB, EXCLUDE_GLOB, MAX_FILES);
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const nodes = await Promise.all(
      uris.map(async (uri): Promise<PreferenceFileNode> => {
        let size: number | undefined;
        try {
          size = (await vscode.workspace.fs.stat(uri)).size;
        } catch {
          size = undefined; // deleted between the search and the stat; the watcher refreshes again
        }
        return { uri, size, relativePath: vscode.workspace.asRelativePath(uri, multiRoot) };
      }),
    );
    return nodes.sort((a, b) => a.relativePath.localeCompare(b.relativePath));
  }

  dispose(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }
}
