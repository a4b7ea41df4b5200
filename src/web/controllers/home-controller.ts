import type { Request, Response } from 'express';
import { pageTitles } from '../../messages.js';

/** The home page. */
export class HomeController {
  index = (_req: Request, res: Response) => {
    res.render('home/index', { title: pageTitles.home });
  };
}
