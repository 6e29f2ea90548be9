using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace VfioPS.Runner;

/// <summary>
/// vfiops-run [-Module PATH] [-Width N] [-Command TEXT | -File PATH [ARGS...]]
/// Without -Command or -File it runs the main job on the mock: the IRQs of a gvt-vgpu mock device.
/// Exit code: the script's own (exit N), else 1 if any error was written, else 0.
/// </summary>
public static class Program
{
    public const string DefaultCommand = "New-VfioMockDevice -Profile gvt-vgpu | Get-VfioIrqInfo";

    private const string Usage = """
        usage: vfiops-run [-Module <VfioPS.psd1>] [-Width <columns>] [-Command <text> | -File <script.ps1> [args...]]

        Runs PowerShell with the built VfioPS module imported (output/VfioPS/<version>/ by default) and renders the
        results with the module's views. Without -Command or -File it lists the IRQs of a gvt-vgpu mock device:
            %DEFAULT%
        The exit code is the script's own, else 1 when any error was written, else 0.
        """;

    public static int Main(string[] args)
    {
        string? module = null, command = null, file = null;
        int width = 120;
        var fileArguments = new List<object>();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (arg.ToLowerInvariant())
            {
                case "-module": module = Next(); break;
                case "-width" when int.TryParse(i + 1 < args.Length ? args[i + 1] : null, out int w) && w >= 40: width = w; i++; break;
                case "-command" or "-c": command = Next(); break;
                case "-file" or "-f":
                    file = Next();
                    fileArguments.AddRange(args.Skip(i + 1));
                    i = args.Length;
                    break;
                case "-help" or "--help" or "-h" or "-?":
                    Console.Out.WriteLine(Usage.Replace("%DEFAULT%", DefaultCommand));
                    return 0;
                default:
                    Console.Error.WriteLine($"vfiops-run: unknown argument '{arg}'.");
                    Console.Error.WriteLine(Usage.Replace("%DEFAULT%", DefaultCommand));
                    return 2;
            }
        }
        if (command is not null && file is not null)
        {
            Console.Error.WriteLine("vfiops-run: give -Command or -File, not both.");
            return 2;
        }

        module ??= Environment.GetEnvironmentVariable("VFIOPS_MODULE")
                   ?? ModuleSession.FindBuiltManifest(Environment.CurrentDirectory, AppContext.BaseDirectory);
        if (module is null || !File.Exists(module))
        {
            Console.Error.WriteLine(module is null
                ? "vfiops-run: no built module found (output/VfioPS/<version>/VfioPS.psd1). Run `dotnet build` at the repository root first, or pass -Module."
                : $"vfiops-run: the module manifest '{module}' does not exist.");
            return 2;
        }

        string script;
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"vfiops-run: the script '{file}' does not exist.");
                return 2;
            }
            // Dot-sourcing a path runs the file as a script with its param() block bound to the arguments.
            script = $"& '{Path.GetFullPath(file).Replace("'", "''")}' @args";
        }
        else
        {
            script = command ?? DefaultCommand;
        }

        try
        {
            bool plain = Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is not null
                         || Environment.GetEnvironmentVariable("TERM") == "dumb";
            using var session = new ModuleSession(module, Console.Out, Console.Error, width, plain);
            var outcome = file is not null
                ? session.RunRendered("param([object[]]$Arguments) " + script.Replace("@args", "@Arguments"), new object[] { fileArguments.ToArray() })
                : session.RunRendered(script);
            Console.Out.Flush();
            return outcome.ExitCode;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"vfiops-run: {e.Message}");
            return 1;
        }
    }
}
