using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SharpFuzz;

namespace VfioPS.Fuzz;

/// <summary>
/// VfioPS.Fuzz &lt;target&gt;             the AFL++ fork server for one target (what run-fuzz.sh gives afl-fuzz)
/// VfioPS.Fuzz &lt;target&gt; &lt;file&gt;...   replays files through the harness (no AFL; exit 1 on the first crash)
/// VfioPS.Fuzz --list                 the targets, one a line
/// VfioPS.Fuzz --write-seeds &lt;dir&gt;    writes the seed corpora, &lt;dir&gt;/&lt;target&gt;/, from the mock profiles
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--list")
        {
            foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name}\t{t.Parser}");
            return 0;
        }
        if (args.Length == 2 && args[0] == "--write-seeds")
        {
            Seeds.Write(args[1]);
            return 0;
        }
        if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
        {
            Console.Error.WriteLine("usage: VfioPS.Fuzz <target> [file...] | --list | --write-seeds <dir>");
            Console.Error.WriteLine("targets: " + string.Join(", ", FuzzTargets.All.Select(t => t.Name)));
            return 2;
        }
        if (args.Length > 1)
        {
            foreach (string file in args.Skip(1))
            {
                try
                {
                    target.Run(File.ReadAllBytes(file));
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"{target.Name}: {file}: {e}");
                    return 1;
                }
            }
            Console.WriteLine($"{target.Name}: {args.Length - 1} file(s) replayed, no crash");
            return 0;
        }

        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            target.Run(memory.ToArray());
        });
        return 0;
    }
}
