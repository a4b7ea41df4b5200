import type { Request, Response } from 'express';
import { pageTitles } from '../../messages.js';

export function createHomeController() {
  return {
    index(_req: Request, res: Response) {
      res.render('home/index', { title: pageTitles.home });
    },
  };
}
