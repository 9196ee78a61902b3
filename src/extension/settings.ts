/** The `rewardStudio.*` settings the extension reads, resolved for one resource (folder settings win). */
import * as vscode from 'vscode';
import type { FormatId } from '../core/data/formats/types';
import { dataOptions } from './report';

export function readDataOptions(scope?: vscode.Uri): { from?: FormatId; maxProblems: number } {
  const config = vscode.workspace.getConfiguration('rewardStudio.data', scope);
  return dataOptions(config.get<unknown>('inputFormat'), config.get<unknown>('maxProblemsReported'));
}
